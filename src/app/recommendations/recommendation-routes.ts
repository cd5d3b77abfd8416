/** GET /api/v1/users/:id/recommendations: co-viewed items, then popular ones. */
import { Type } from 'typebox';
import { envelopeSchema, ErrorEnvelopeSchema, ok } from '../../http/envelope.js';
import type { RouteModule } from '../routes/route-module.js';
import { RecommendationStore } from './recommendation-store.js';

const RecommendationsSchema = Type.Object({
  userId: Type.String(),
  basedOnItems: Type.Integer(),
  items: Type.Array(
    Type.Object({
      itemId: Type.String(),
      score: Type.Integer(),
      reason: Type.Union([Type.Literal('co-viewed'), Type.Literal('popular')]),
    }),
  ),
});

export const recommendationRoutes: RouteModule = (app, ctx) => {
  const store = new RecommendationStore(ctx.db);
  app.get(
    '/api/v1/users/:id/recommendations',
    {
      schema: {
        operationId: 'getUserRecommendations',
        tags: ['users'],
        summary: 'Items for this user: viewed by users who viewed the same items, then popular',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) },
          { additionalProperties: false },
        ),
        response: {
          200: envelopeSchema(RecommendationsSchema),
          400: ErrorEnvelopeSchema,
          429: ErrorEnvelopeSchema,
        },
        docs: { responses: { 200: 'Recommended items, best first' }, errors: ['DATABASE_BUSY'] },
      },
    },
    async (request) => ok(store.recommend(request.params.id, request.query.limit)),
  );
};
