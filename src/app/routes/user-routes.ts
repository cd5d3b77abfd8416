import { Type } from 'typebox';
import { requireScopes } from '../../http/auth.js';
import { envelopeSchema, ErrorEnvelopeSchema, ok } from '../../http/envelope.js';
import { AppError } from '../../http/errors.js';
import {
  CreateUserBody,
  ListUsersQuery,
  UserIdParams,
  UserPageSchema,
  UserSchema,
} from '../users/user-schemas.js';
import type { RouteModule } from './route-module.js';
import { originOf } from '../events/event-publisher.js';

const UserEnvelope = envelopeSchema(UserSchema);
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorEnvelopeSchema]));

export const userRoutes: RouteModule = (app, ctx) => {
  app.post(
    '/api/v1/users',
    {
      // Checked before the body is read: an anonymous caller gets 401, not a parse error.
      onRequest: requireScopes(app, 'users:write'),
      schema: {
        operationId: 'createUser',
        tags: ['users'],
        summary: 'Create a user',
        security: [{ bearerAuth: [] }],
        body: CreateUserBody,
        response: { 201: UserEnvelope, ...errors(400, 401, 403, 409, 413, 415, 429) },
        docs: {
          responses: { 201: 'The created user' },
          responseHeaders: { 201: { location: Type.String({ description: 'URL of the user' }) } },
          errors: ['EMAIL_TAKEN', 'DATABASE_BUSY'],
        },
      },
    },
    async (request, reply) => {
      const user = await ctx.users.add(request.body);
      return reply.code(201).header('location', `/api/v1/users/${user.id}`).send(ok(user));
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      schema: {
        operationId: 'getUser',
        tags: ['users'],
        summary: 'Read a user; a GET (not a HEAD) records a user.viewed event',
        params: UserIdParams,
        response: { 200: UserEnvelope, ...errors(404, 429) },
        docs: { responses: { 200: 'The user' }, errors: ['USER_NOT_FOUND', 'DATABASE_BUSY'] },
      },
    },
    async (request) => {
      const user = ctx.users.get(request.params.id);
      if (!user) throw new AppError('USER_NOT_FOUND', { id: request.params.id });
      // HEAD runs this handler too; a link checker or monitor probing the URL views nothing.
      if (ctx.publisher && request.method === 'GET') {
        // The view is recorded without making the reader wait for the broker.
        ctx.publisher
          .publish({ type: 'user.viewed', userId: user.id }, originOf(request))
          .catch((err: unknown) => {
            request.log.warn({ err, userId: user.id }, 'user.viewed event not published');
          });
      }
      return ok(user);
    },
  );

  app.get(
    '/api/v1/users',
    {
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'A page of users, oldest first; follow nextCursor for the next page',
        querystring: ListUsersQuery,
        response: { 200: envelopeSchema(UserPageSchema), ...errors(400, 429) },
        docs: { responses: { 200: 'A page of users' }, errors: ['DATABASE_BUSY'] },
      },
    },
    async (request) => ok(ctx.users.page(request.query.limit, request.query.cursor)),
  );
};
