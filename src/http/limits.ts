import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { AppError } from './errors.js';
import { verifiedClaims } from './auth.js';

export interface RateLimitOptions {
  /** Requests per client per window; 0 turns rate limiting off. */
  max: number;
  windowMs: number;
}

/**
 * Per-client rate limit: a client is its token subject when it sends a valid token, else its
 * IP. Routes opt out with `config: { rateLimit: false }` (health, readiness, metrics do).
 * Resolves false when rate limiting is turned off.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  opts: RateLimitOptions,
): Promise<boolean> {
  if (opts.max === 0) return false;
  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.windowMs,
    keyGenerator: (request) => {
      const claims = verifiedClaims(app, request);
      return claims ? `sub:${claims.sub}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, ctx) =>
      new AppError('RATE_LIMITED', { limit: ctx.max, retryAfterMs: ctx.ttl }),
  });
  return true;
}

class OverloadedError extends AppError {
  constructor() {
    super('OVERLOADED', null, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
  }
}

const RETRY_AFTER_SECONDS = 5;
/** How often the event loop delay is sampled (the mean over the interval is what counts). */
export const LOAD_SAMPLE_INTERVAL_MS = 1000;

/**
 * Route config that keeps a route out of load shedding: liveness (a probe that failed under
 * load would restart the process exactly when it is busy) and metrics (most needed then).
 * Readiness is shed: a 503 there rightly takes the instance out of rotation.
 */
export const NEVER_SHED = { pressureHandler: () => undefined };

/**
 * Sheds load with a 503 envelope when the event loop lags beyond `maxEventLoopDelayMs`.
 *
 * The delay is measured from the plugin's registration on, so the first samples cover the
 * start itself: compiling the routes' schemas holds the loop for a second or more on a small
 * machine, and the first requests after the start were refused as OVERLOADED. So shedding is
 * armed only once a whole sample was taken after the server became ready (two intervals
 * after it), and a lag that began with the start never counts.
 */
export async function registerLoadShedding(app: FastifyInstance, maxEventLoopDelayMs: number) {
  if (maxEventLoopDelayMs === 0) return;
  let armedAt = Infinity;
  app.addHook('onReady', (done) => {
    armedAt = performance.now() + 2 * LOAD_SAMPLE_INTERVAL_MS;
    done();
  });
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: LOAD_SAMPLE_INTERVAL_MS,
    // Only called under pressure: a rejected promise is the refusal, undefined lets it through.
    pressureHandler: () =>
      performance.now() < armedAt ? undefined : Promise.reject(new OverloadedError()),
  });
}
