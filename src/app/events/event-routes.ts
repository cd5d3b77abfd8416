/**
 * POST /api/v1/events and /api/v1/events/batch: 202 once the broker stored the events (not
 * when consumers ran). Honours Idempotency-Key. Refuses with 503 + Retry-After at once when
 * the broker is unavailable or the publisher is full.
 */
import type { FastifyRequest } from 'fastify';
import { requireScopes } from '../../http/auth.js';
import { headerCount } from '../../http/raw-headers.js';
import { envelopeSchema, ErrorEnvelopeSchema, ok } from '../../http/envelope.js';
import { AppError } from '../../http/errors.js';
import type { RouteModule } from '../routes/route-module.js';
import { originOf, type AppEventPublisher } from './event-publisher.js';
import {
  AcceptedBatchSchema,
  AcceptedHeaders,
  AcceptedSchema,
  EventBatchBody,
  EventBody,
  IDEMPOTENCY_KEY_PATTERN,
  IdempotencyHeaders,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './event-schemas.js';
import { keyedEventIds } from './event-ids.js';
import { IdempotencyStore, type StoredAnswer } from './idempotency-store.js';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorEnvelopeSchema]));
const MAX_KEY_LENGTH = MAX_IDEMPOTENCY_KEY_LENGTH;
const PRINTABLE_ASCII = new RegExp(IDEMPOTENCY_KEY_PATTERN);
/** Errors of the event routes beyond the shared ones (the key store is in the database). */
const EVENT_ERRORS = [
  'IDEMPOTENCY_KEY_REUSED',
  'BROKER_UNAVAILABLE',
  'PUBLISHER_FULL',
  'DATABASE_BUSY',
] as const;

export const eventRoutes: RouteModule = (app, ctx) => {
  const idempotency = new IdempotencyStore(ctx.db);
  const events = (): AppEventPublisher => {
    if (!ctx.pipeline)
      throw new AppError('BROKER_UNAVAILABLE', null, { headers: { 'retry-after': '5' } });
    return ctx.pipeline.events;
  };

  /**
   * Runs `produce`, or replays its first answer when the request carries a used key. A keyed
   * request's events get ids derived from the key and body (see event-ids.ts).
   */
  async function answer(
    request: FastifyRequest,
    route: string,
    produce: (eventIdOf?: (index: number) => string) => Promise<StoredAnswer>,
  ): Promise<StoredAnswer & { replayed: boolean }> {
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return { ...(await produce()), replayed: false };
    const key = Array.isArray(raw) ? raw[0] : raw;
    // Node joins repeated headers with ", ": two keys would silently make a third one.
    if (headerCount(request.raw.rawHeaders, 'idempotency-key') > 1)
      throw new AppError('VALIDATION_FAILED', {
        errors: [{ field: 'Idempotency-Key', message: 'must be sent once' }],
      });
    // A structured-field string, as the IETF Idempotency-Key draft defines it: printable
    // ASCII. Node reads header bytes as latin1, so anything else would be counted in bytes.
    if (!key || key.length > MAX_KEY_LENGTH || !PRINTABLE_ASCII.test(key))
      throw new AppError('VALIDATION_FAILED', {
        errors: [
          {
            field: 'Idempotency-Key',
            message: `must be 1..${MAX_KEY_LENGTH} printable ASCII characters`,
          },
        ],
      });
    const scope = `${request.authClaims?.sub ?? ''} ${route}`;
    return idempotency.run(scope, key, request.body, (seed) =>
      produce(keyedEventIds(scope, key, seed)),
    );
  }

  app.post(
    '/api/v1/events',
    {
      onRequest: requireScopes(app, 'events:write'),
      schema: {
        operationId: 'publishEvent',
        tags: ['events'],
        summary: 'Publish an event; 202 once the broker stored it',
        security: [{ bearerAuth: [] }],
        body: EventBody,
        response: {
          202: envelopeSchema(AcceptedSchema),
          ...errors(400, 401, 403, 409, 413, 415, 429, 503),
        },
        docs: {
          responses: { 202: 'The event, stored by the broker' },
          responseHeaders: { 202: AcceptedHeaders },
          requestHeaders: IdempotencyHeaders,
          errors: EVENT_ERRORS,
        },
      },
    },
    async (request, reply) => {
      if (request.headers['idempotency-key'] === undefined)
        return reply.code(202).send(ok(await events().publish(request.body, originOf(request))));
      const result = await answer(request, 'events', async (eventIdOf) => ({
        status: 202,
        body: ok(await events().publish(request.body, originOf(request), eventIdOf?.(0))),
      }));
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      // A replayed answer is the stored JSON of the first one, of the same shape.
      return reply.code(result.status as 202).send(result.body as never);
    },
  );

  app.post(
    '/api/v1/events/batch',
    {
      onRequest: requireScopes(app, 'events:write'),
      schema: {
        operationId: 'publishEvents',
        tags: ['events'],
        summary: 'Publish up to 1000 events; 202 once the broker stored all of them',
        security: [{ bearerAuth: [] }],
        body: EventBatchBody,
        response: {
          202: envelopeSchema(AcceptedBatchSchema),
          ...errors(400, 401, 403, 409, 413, 415, 429, 503),
        },
        docs: {
          responses: { 202: 'One id per event, in order; all stored by the broker' },
          responseHeaders: { 202: AcceptedHeaders },
          requestHeaders: IdempotencyHeaders,
          errors: EVENT_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const result = await answer(request, 'events/batch', async (eventIdOf) => ({
        status: 202,
        body: ok({
          items: await events().publishBatch(request.body.events, originOf(request), eventIdOf),
        }),
      }));
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      // A replayed answer is the stored JSON of the first one, of the same shape.
      return reply.code(result.status as 202).send(result.body as never);
    },
  );
};
