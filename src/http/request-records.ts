/**
 * One record per request, metrics and log line together, as it ends: answered (onResponse), or
 * given up (onRequestAbort) because the client went away (status 499, nginx's "client closed
 * request") or its body stalled past the request timeout (the 408 the client error handler
 * sent). So every request the service took is counted and logged once, with its method, path
 * (never the query string, which may carry tokens, cursors or e-mail addresses), route
 * pattern, status, time and, for errors, the envelope's code.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpMetrics } from '../observability/metrics.js';
import { errorCodeOf, timedOut } from './error-handler.js';
import { ERROR_CATALOGUE } from './errors.js';

/** Probes and scrapes every few seconds would drown the request log (they are counted). */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The status recorded for a request whose client closed the connection before its answer. */
export const CLIENT_CLOSED = 499;

export function installRequestRecords(app: FastifyInstance, registry: Registry): void {
  const metrics = createHttpMetrics(registry);
  /** `seconds` is unknown for a request given up: Fastify's hook for it has no reply. */
  const record = (request: FastifyRequest, status: number, seconds?: number, code?: number) => {
    const labels = {
      method: request.method,
      // Unmatched URLs share one label so scanners cannot blow up the series count.
      route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      status: String(status),
    };
    metrics.requests.inc(labels);
    if (seconds !== undefined) metrics.duration.observe(labels, seconds);
    const path = pathOf(request.url);
    if (QUIET_PATHS.has(path) || !infoEnabled(request)) return;
    // Flat fields: Fastify's logger would run its own serializers on `req` and `res`.
    request.log.info(
      {
        method: request.method,
        url: path,
        route: labels.route,
        statusCode: status,
        ...(code === undefined ? {} : { code }),
        ...(seconds === undefined ? {} : { responseTime: Math.round(seconds * 1e6) / 1000 }),
      },
      status === CLIENT_CLOSED ? 'request aborted by the client' : 'request completed',
    );
  };
  // Each request is recorded once: answered, or given up, whichever Fastify reports first (a
  // request answered early, a 401 before its body came, may still see its body cut off).
  const recorded = new WeakSet<FastifyRequest>();
  // Synchronous hooks: an async one would cost a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    if (!recorded.has(request)) {
      recorded.add(request);
      record(request, reply.statusCode, reply.elapsedTime / 1000, errorCodeOf(reply));
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    if (recorded.has(request)) return done();
    recorded.add(request);
    if (timedOut(request.raw))
      record(request, 408, undefined, ERROR_CATALOGUE.REQUEST_TIMEOUT.code);
    else record(request, CLIENT_CLOSED);
    done();
  });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Skips building the line when info is off (pino's loggers have isLevelEnabled). */
function infoEnabled(request: FastifyRequest): boolean {
  const log = request.log as { isLevelEnabled?(level: string): boolean };
  return log.isLevelEnabled?.('info') ?? true;
}
