import { Type } from 'typebox';
import { ErrorEnvelopeSchema } from '../../http/envelope.js';
import { NEVER_SHED } from '../../http/limits.js';
import type { Registry } from 'prom-client';
import type { HttpServer } from '../../http/types.js';
import type { Readiness } from '../readiness.js';
import type { RouteModule } from './route-module.js';

const CheckSchema = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Record(Type.String(), CheckSchema),
});

/** What the operations routes read; the worker's own server passes just these. */
export interface HealthSources {
  readiness: Readiness;
  registry: Registry;
}

/** Liveness, readiness and Prometheus metrics: not rate limited, not enveloped. */
export const healthRoutes: RouteModule = (app, ctx) => registerHealthRoutes(app, ctx);

export function registerHealthRoutes(app: HttpServer, ctx: HealthSources): void {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false, ...NEVER_SHED },
      schema: {
        operationId: 'checkLiveness',
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        docs: { responses: { 200: 'The process is alive' } },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'checkReadiness',
        tags: ['operations'],
        summary: 'Readiness: every registered check passes (database, broker, consumers)',
        // A 503 is the not-ready report, or the error envelope of a request refused before
        // the handler (shutting down, overloaded).
        response: { 200: ReadySchema, 503: Type.Union([ReadySchema, ErrorEnvelopeSchema]) },
        docs: {
          responses: { 200: 'Every check passes', 503: 'Not ready: the report of every check' },
        },
      },
    },
    async (_request, reply) => {
      const report = await ctx.readiness.report();
      return reply
        .code(report.ready ? 200 : 503)
        .send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
    },
  );

  app.get(
    '/metrics',
    { config: { rateLimit: false, ...NEVER_SHED }, schema: { hide: true } },
    async (_request, reply) => {
      const body = await ctx.registry.metrics();
      return reply.type(ctx.registry.contentType).send(body);
    },
  );
}
