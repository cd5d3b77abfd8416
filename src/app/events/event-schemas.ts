import { Type } from 'typebox';

export const EventBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
    userId: Type.String({ minLength: 1, maxLength: 64 }),
    itemId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    properties: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }), {
        maxProperties: 50,
        // The key schema above compiles to a pattern, which does not bound the length.
        propertyNames: { maxLength: 100 },
      }),
    ),
    occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const MAX_BATCH = 1000;

export const EventBatchBody = Type.Object(
  { events: Type.Array(EventBody, { minItems: 1, maxItems: MAX_BATCH }) },
  { additionalProperties: false },
);

export const AcceptedSchema = Type.Object({
  eventId: Type.String({ format: 'uuid' }),
  messageId: Type.String({ description: 'Broker message id, ledger:entry:partition' }),
});

export const AcceptedBatchSchema = Type.Object({ items: Type.Array(AcceptedSchema) });
