/**
 * One record per request, metrics and log line together, as it ends: answered (onResponse), or
 * given up (its response closed unfinished) because the client went away (status 499, nginx's
 * "client closed request") or its body stalled past the request timeout (the 408 the client
 * error handler sent). Requests Fastify answers before routing (a malformed URL, an over-long
 * path parameter) are recorded by the server's framework error handler through `answered`. So
 * every request the service took is counted and logged once, with its method, path (never the
 * query string, which may carry tokens, cursors or e-mail addresses), route pattern, status,
 * time and, for errors, the envelope's code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { createHttpMetrics } from '../observability/metrics.js';
import { errorCodeOf, timedOut } from './error-handler.js';
import { ERROR_CATALOGUE } from './errors.js';

/** Probes and scrapes every few seconds would drown the request log (they are counted). */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The status recorded for a request whose client closed the connection before its answer. */
export const CLIENT_CLOSED = 499;

export interface RequestRecords {
  /** Records a request answered outside the hooks (Fastify's framework errors). */
  answered(request: FastifyRequest, reply: FastifyReply): void;
}

export function installRequestRecords(app: FastifyInstance, registry: Registry): RequestRecords {
  const metrics = createHttpMetrics(registry);
  const record = (request: FastifyRequest, status: number, seconds?: number, code?: number) => {
    const labels = {
      method: request.method,
      // Unmatched URLs share one label so scanners cannot blow up the series count.
      route: request.is404 ? 'unmatched' : (request.routeOptions?.url ?? 'unmatched'),
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
  const elapsed = (reply: FastifyReply) => {
    const ms = reply.elapsedTime;
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  };
  // Synchronous hooks: an async one would cost a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    // A response that closes unfinished and unsent was given up (Fastify's onRequestAbort
    // misses a request whose body was read: Node only marks unread ones aborted).
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished || reply.sent) return;
      if (timedOut(request.raw))
        record(request, 408, elapsed(reply), ERROR_CATALOGUE.REQUEST_TIMEOUT.code);
      else record(request, CLIENT_CLOSED, elapsed(reply));
    });
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    record(request, reply.statusCode, elapsed(reply), errorCodeOf(reply));
    done();
  });
  return {
    answered: (request, reply) =>
      record(request, reply.statusCode, elapsed(reply), errorCodeOf(reply)),
  };
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
