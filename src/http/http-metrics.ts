import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpMetrics } from '../observability/metrics.js';

/** Counts and times every response by method, route pattern (not raw URL) and status. */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const metrics = createHttpMetrics(registry);
  // Synchronous: an async hook would cost a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      // Unmatched URLs share one label so scanners cannot blow up the series count.
      route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      status: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
