import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { AppError } from './errors.js';

/** Scopes a token can carry. */
export const SCOPES = ['users:write', 'events:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Claims of a Magnetar access token. `scope` is space-separated, as in OAuth 2.0. */
export interface TokenClaims {
  sub: string;
  scope?: string;
  iat?: number;
  exp?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Verified claims, set once per request by `verifiedClaims`; null when no valid token. */
    authClaims: TokenClaims | null | undefined;
  }
}

export const JWT_ALGORITHM = 'HS256';

export async function registerAuth(app: FastifyInstance, secret: string): Promise<void> {
  await app.register(fastifyJwt, {
    secret,
    sign: { algorithm: JWT_ALGORITHM },
    // Verified tokens are cached (until they expire): clients reuse one token for many calls.
    verify: { algorithms: [JWT_ALGORITHM], cache: 10_000 },
  });
  app.decorateRequest('authClaims', undefined);
}

/** Verifies the bearer token once per request; throws the 401 that fits. */
export function verifyRequestToken(app: FastifyInstance, request: FastifyRequest): TokenClaims {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('UNAUTHORIZED');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
  try {
    const claims = app.jwt.verify<TokenClaims>(match[1]);
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      throw unauthorized('TOKEN_INVALID', 'Token has no subject');
    }
    return claims;
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'FAST_JWT_EXPIRED') throw unauthorized('TOKEN_EXPIRED', undefined, err);
    throw unauthorized('TOKEN_INVALID', undefined, err);
  }
}

/** Claims of a valid token, or null; never throws. Cached on the request. */
export function verifiedClaims(app: FastifyInstance, request: FastifyRequest): TokenClaims | null {
  if (request.authClaims !== undefined) return request.authClaims;
  try {
    request.authClaims = request.headers.authorization ? verifyRequestToken(app, request) : null;
  } catch {
    request.authClaims = null;
  }
  return request.authClaims;
}

export function scopesOf(claims: TokenClaims): Set<string> {
  return new Set((claims.scope ?? '').split(/\s+/).filter(Boolean));
}

/** A route hook that needs a valid token carrying every one of `required`. */
export function requireScopes(
  app: FastifyInstance,
  ...required: Scope[]
): onRequestAsyncHookHandler {
  return async (request) => {
    // The rate limiter may have verified the token already; only a failure is re-checked,
    // to report which 401 it is.
    const claims = request.authClaims ?? verifyRequestToken(app, request);
    request.authClaims = claims;
    const granted = scopesOf(claims);
    const missing = required.filter((s) => !granted.has(s));
    if (missing.length > 0) throw new AppError('FORBIDDEN', { required, missing });
  };
}

function unauthorized(
  name: 'UNAUTHORIZED' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED',
  reason?: string,
  cause?: unknown,
): AppError {
  return new AppError(name, reason ? { reason } : null, {
    cause,
    headers: { 'www-authenticate': 'Bearer' },
  });
}
