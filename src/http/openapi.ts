import type { FastifyInstance, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { documentRoute } from './openapi-routes.js';

export type { RouteDocs } from './openapi-routes.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 description at /openapi.json and Swagger UI at /docs. */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    // Runs when the document is first built, once every plugin and route is registered.
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url };
      const server = {
        rateLimit: app.hasDecorator('rateLimit'),
        loadShedding: app.hasDecorator('isUnderPressure'),
      };
      return {
        schema: documentRoute(schema as never, route as RouteOptions, server) as never,
        url,
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );
}
