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

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/**
 * A structured-field string, as the IETF Idempotency-Key draft defines it: printable ASCII.
 * Node reads header bytes as latin1, so anything else would be counted in bytes.
 */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x20-\\x7e]+$';

/**
 * The request headers the event routes read. Documented only: the handler checks the key
 * itself (a headers schema would validate every request's headers before the handler).
 */
export const IdempotencyHeaders = Type.Object({
  'Idempotency-Key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description:
        'Makes a retry safe: the same key and body within 24 hours get the first answer again ' +
        '(with idempotent-replayed: true); the same key with another body is a 409',
    }),
  ),
});

/** Headers of an accepted (202) answer. */
export const AcceptedHeaders = {
  'idempotent-replayed': Type.Literal('true', {
    description: 'Present when this is the stored answer to an earlier request with the same key',
  }),
};
