/** GET /api/v1/users/:id/activity: what the activity consumer recorded, newest first. */
import { Type } from 'typebox';
import { envelopeSchema, ErrorEnvelopeSchema, ok } from '../../http/envelope.js';
import { AppError } from '../../http/errors.js';
import type { RouteModule } from '../routes/route-module.js';
import { ActivityStore, InvalidActivityCursorError } from './activity-store.js';

const ActivityEntrySchema = Type.Object({
  eventId: Type.String(),
  type: Type.String(),
  itemId: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Type.String({ format: 'date-time' }),
  processedAt: Type.String({ format: 'date-time' }),
});

const ActivityQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const activityRoutes: RouteModule = (app, ctx) => {
  const store = new ActivityStore(ctx.db);
  app.get(
    '/api/v1/users/:id/activity',
    {
      schema: {
        operationId: 'listUserActivity',
        tags: ['users'],
        summary: "A user's recorded events, newest first, each once",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: ActivityQuery,
        response: {
          200: envelopeSchema(
            Type.Object({
              items: Type.Array(ActivityEntrySchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
          400: ErrorEnvelopeSchema,
          429: ErrorEnvelopeSchema,
        },
        docs: {
          responses: { 200: 'A page of recorded events, newest first' },
          errors: ['DATABASE_BUSY'],
        },
      },
    },
    async (request) => {
      try {
        return ok(store.page(request.params.id, request.query.limit, request.query.cursor));
      } catch (err) {
        if (err instanceof InvalidActivityCursorError)
          throw new AppError('VALIDATION_FAILED', {
            errors: [{ field: 'cursor', message: err.message }],
          });
        throw err;
      }
    },
  );
};
