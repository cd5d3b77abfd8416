import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { AppError } from './errors.js';
import { verifiedClaims, type TokenClaims } from './auth.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';

export interface RateLimitOptions {
  /** Requests per client per window; 0 turns rate limiting off. */
  max: number;
  windowMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` exempts the route from the rate limit (health, readiness, metrics). */
    rateLimit?: false;
  }
}

// The key of a token's subject, made once per cached token: the same string every request,
// so its hash is computed once too.
const subjectKeys = new WeakMap<object, string>();

function clientKey(claims: Readonly<TokenClaims> | null, request: FastifyRequest): string {
  if (claims === null) return `ip:${request.ip}`;
  let key = subjectKeys.get(claims);
  if (key === undefined) {
    key = `sub:${claims.sub}`;
    if (Object.isFrozen(claims)) subjectKeys.set(claims, key);
  }
  return key;
}

/**
 * Per-client rate limit: a client is its token subject when it sends a valid token, else its
 * IP. Every route added after this call is limited unless it says `config: { rateLimit: false }`
 * (health, readiness, metrics do). Answers carry x-ratelimit-limit, -remaining and -reset
 * (seconds); a refused request gets 429 RATE_LIMITED with Retry-After. Resolves with the hook
 * that limits a request (the 404 handler uses it), or null when rate limiting is turned off.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  opts: RateLimitOptions,
): Promise<onRequestHookHandler | null> {
  if (opts.max === 0) return null;
  const limiter = new FixedWindowLimiter({ max: opts.max, windowMs: opts.windowMs });
  const max = opts.max;
  const limit: onRequestHookHandler = (request, reply, done) => {
    const { count, resetMs } = limiter.hit(clientKey(verifiedClaims(app, request), request));
    const resetSeconds = Math.ceil(resetMs / 1000);
    reply.header('x-ratelimit-limit', max);
    reply.header('x-ratelimit-remaining', count > max ? 0 : max - count);
    reply.header('x-ratelimit-reset', resetSeconds);
    if (count <= max) {
      done();
      return;
    }
    reply.header('retry-after', resetSeconds);
    done(new AppError('RATE_LIMITED', { limit: max, retryAfterMs: resetMs }));
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) return;
    // After the route's own onRequest hooks, as @fastify/rate-limit added it.
    const own = route.onRequest;
    route.onRequest = own === undefined ? [limit] : [...(Array.isArray(own) ? own : [own]), limit];
  });
  return limit;
}

class OverloadedError extends AppError {
  constructor() {
    super('OVERLOADED');
  }
}

/** Sheds load with a 503 envelope when the event loop lags beyond `maxEventLoopDelayMs`. */
export async function registerLoadShedding(app: FastifyInstance, maxEventLoopDelayMs: number) {
  if (maxEventLoopDelayMs === 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    retryAfter: 5,
    customError: OverloadedError,
  });
}
