/**
 * Operator routes (scope admin): topics with their subscriptions and backlog, and the
 * dead letters: list (with why they failed), replay to the original topic, purge.
 */
import { Type } from 'typebox';
import { requireScopes } from '../../http/auth.js';
import { envelopeSchema, ErrorEnvelopeSchema, ok } from '../../http/envelope.js';
import { AppError } from '../../http/errors.js';
import { BrokerError, parseTopicName } from '../../broker/index.js';
import { InvalidCursorError } from '../../messaging/index.js';
import type { EventPipeline } from '../pipeline/event-pipeline.js';
import type { RouteModule } from '../routes/route-module.js';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorEnvelopeSchema]));

const Filter = {
  topic: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 300,
      description: 'The original topic, or a dead-letter topic itself (<topic>-<subscription>-DLQ)',
    }),
  ),
  // A `/` would make the dead-letter topic's name (<topic>-<subscription>-DLQ) invalid.
  subscription: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/]+$' })),
};
const MessageIdText = Type.String({ pattern: '^\\d+:\\d+:(-1|\\d+)(:(-1|\\d+))?$' });

const DeadLetterSchema = Type.Object({
  deadLetterTopic: Type.String(),
  messageId: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  publishedAt: Type.String(),
  reason: Type.Object({
    error: Type.Union([Type.String(), Type.Null()]),
    errorCode: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Union([Type.Integer(), Type.Null()]),
    firstFailureAt: Type.Union([Type.String(), Type.Null()]),
    lastFailureAt: Type.Union([Type.String(), Type.Null()]),
    originalTopic: Type.Union([Type.String(), Type.Null()]),
    originalMessageId: Type.Union([Type.String(), Type.Null()]),
    subscription: Type.Union([Type.String(), Type.Null()]),
  }),
  properties: Type.Record(Type.String(), Type.String()),
  data: Type.String({ description: 'The payload: UTF-8 text, or base64 (see dataEncoding)' }),
  dataEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
});

const TopicStatsSchema = Type.Object({
  topic: Type.String(),
  messages: Type.Integer(),
  subscriptions: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      backlog: Type.Integer(),
      consumers: Type.Integer(),
    }),
  ),
});

/**
 * What the operator routes answer when the broker is away, or (embedded) its database is
 * locked by another process (documented for each route).
 */
const BROKER_ERRORS = ['BROKER_UNAVAILABLE', 'DATABASE_BUSY'] as const;

/**
 * Broker errors answered 503 with Retry-After: not reachable now, or (as for publishing
 * events) a topic the cluster does not have, which its operator fixes.
 */
const UNAVAILABLE = new Set(['NotConnected', 'Timeout', 'AlreadyClosed', 'TopicNotFound']);

export const dlqRoutes: RouteModule = (app, ctx) => {
  /**
   * Runs an operator action: a topic filter that is not a topic name is a 400, a broker that is
   * away a 503 (the cursor check is the list's).
   */
  async function operate<T>(
    filter: { topic?: string },
    action: (pipeline: EventPipeline) => Promise<T>,
  ): Promise<T> {
    if (filter.topic !== undefined) {
      try {
        parseTopicName(filter.topic);
      } catch (err) {
        throw new AppError('VALIDATION_FAILED', {
          errors: [{ field: 'topic', message: (err as Error).message }],
        });
      }
    }
    if (!ctx.pipeline)
      throw new AppError('BROKER_UNAVAILABLE', null, { headers: { 'retry-after': '5' } });
    try {
      return await action(ctx.pipeline);
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new AppError('VALIDATION_FAILED', {
          errors: [{ field: 'cursor', message: err.message }],
        });
      if (err instanceof BrokerError && UNAVAILABLE.has(err.code))
        throw new AppError('BROKER_UNAVAILABLE', null, {
          cause: err,
          headers: { 'retry-after': '5' },
        });
      throw err;
    }
  }
  const admin = { onRequest: requireScopes(app, 'admin') };

  app.get(
    '/api/v1/admin/topics',
    {
      ...admin,
      schema: {
        operationId: 'listTopics',
        tags: ['admin'],
        summary: 'Topics, their subscriptions and backlog',
        security: [{ bearerAuth: [] }],
        response: {
          200: envelopeSchema(Type.Object({ items: Type.Array(TopicStatsSchema) })),
          ...errors(401, 403, 429, 503),
        },
        docs: { responses: { 200: 'Every topic with its statistics' }, errors: BROKER_ERRORS },
      },
    },
    async () =>
      operate({}, async ({ broker }) => {
        const names = (await broker.admin.listTopics()).sort();
        return ok({ items: await Promise.all(names.map((n) => broker.admin.topicStats(n))) });
      }),
  );

  app.get(
    '/api/v1/admin/dlq',
    {
      ...admin,
      schema: {
        operationId: 'listDeadLetters',
        tags: ['admin'],
        summary:
          'Dead letters with the reason they failed, by dead-letter topic, oldest first within each',
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          {
            ...Filter,
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: envelopeSchema(
            Type.Object({
              items: Type.Array(DeadLetterSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
          ...errors(400, 401, 403, 429, 503),
        },
        docs: { responses: { 200: 'A page of dead letters' }, errors: BROKER_ERRORS },
      },
    },
    async (request) =>
      operate(request.query, async (p) => ok(await p.deadLetters.list(request.query))),
  );

  app.post(
    '/api/v1/admin/dlq/replay',
    {
      ...admin,
      schema: {
        operationId: 'replayDeadLetters',
        tags: ['admin'],
        summary: 'Send dead letters (all matching, or the given ids) back to their topic',
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          { ...Filter, ids: Type.Optional(Type.Array(MessageIdText, { maxItems: 1000 })) },
          { additionalProperties: false },
        ),
        response: {
          200: envelopeSchema(
            Type.Object({ replayed: Type.Integer(), messageIds: Type.Array(Type.String()) }),
          ),
          ...errors(400, 401, 403, 415, 429, 503),
        },
        docs: {
          responses: { 200: 'How many were replayed, and their new ids' },
          errors: BROKER_ERRORS,
        },
      },
    },
    async (request) =>
      operate(request.body, async (p) => ok(await p.deadLetters.replay(request.body))),
  );

  app.delete(
    '/api/v1/admin/dlq',
    {
      ...admin,
      schema: {
        operationId: 'deleteDeadLetters',
        tags: ['admin'],
        summary: 'Delete dead letters (all matching, or the given ids)',
        security: [{ bearerAuth: [] }],
        querystring: Type.Object(
          { ...Filter, ids: Type.Optional(Type.Array(MessageIdText, { maxItems: 1000 })) },
          { additionalProperties: false },
        ),
        response: {
          200: envelopeSchema(Type.Object({ deleted: Type.Integer() })),
          ...errors(400, 401, 403, 429, 503),
        },
        docs: { responses: { 200: 'How many were deleted' }, errors: BROKER_ERRORS },
      },
    },
    async (request) => {
      // A body here is a mistake (the replay route's shape sent to DELETE): ignoring it would
      // purge every dead letter instead of the ones it names.
      if (request.body !== undefined)
        throw new AppError('VALIDATION_FAILED', {
          errors: [
            {
              field: 'body',
              message:
                'is not allowed: select with topic, subscription and ids in the query string',
            },
          ],
        });
      return operate(request.query, async (p) => ok(await p.deadLetters.purge(request.query)));
    },
  );
};
