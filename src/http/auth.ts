import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { AppError } from './errors.js';
import { headerCount } from './raw-headers.js';
import {
  createTokenVerifier,
  unauthorized,
  type TokenClaims,
  type TokenVerifier,
} from './token-verifier.js';

export { JWT_ALGORITHM, type TokenClaims } from './token-verifier.js';

/** Scopes a token can carry. */
export const SCOPES = ['users:write', 'events:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies bearer tokens, keeping verified ones; see token-verifier.ts. */
    tokenVerifier: TokenVerifier;
  }
  interface FastifyRequest {
    /** Verified claims, set once per request by `verifiedClaims`; null when no valid token. */
    authClaims: Readonly<TokenClaims> | null | undefined;
    /** Why the request's token was refused, once it was checked; null when it was not. */
    authFailure: AppError | null;
  }
}

export async function registerAuth(app: FastifyInstance, secret: string): Promise<void> {
  app.decorate('tokenVerifier', createTokenVerifier({ secret }));
  app.decorateRequest('authClaims', undefined);
  app.decorateRequest('authFailure', null);
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Node keeps the first of repeated Authorization headers and drops the rest, so a request
 * with two would be judged by the first while a proxy in front may have judged the last.
 * HTTP allows the header once (RFC 9110, 11.6.2); a second one refuses the request.
 */
function authorizationHeaders(raw: string[]): number {
  return headerCount(raw, 'authorization');
}

/** Verifies the bearer token of the request; throws the 401 that fits. */
export function verifyRequestToken(
  app: FastifyInstance,
  request: FastifyRequest,
): Readonly<TokenClaims> {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('UNAUTHORIZED');
  const match = BEARER.exec(header);
  if (!match) throw unauthorized('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
  if (authorizationHeaders(request.raw.rawHeaders) > 1)
    throw unauthorized('TOKEN_INVALID', 'send one Authorization header');
  return app.tokenVerifier.verify(match[1]);
}

/**
 * The request's verified claims, checking the token at most once per request: the rate
 * limiter asks first (to key by subject), the route's scope check asks again.
 */
function authenticate(app: FastifyInstance, request: FastifyRequest): Readonly<TokenClaims> {
  const known = request.authClaims;
  if (known) return known;
  if (request.authFailure) throw request.authFailure;
  try {
    return (request.authClaims = verifyRequestToken(app, request));
  } catch (err) {
    request.authClaims = null;
    if (err instanceof AppError) request.authFailure = err;
    throw err;
  }
}

/** Claims of a valid token, or null; never throws. Cached on the request. */
export function verifiedClaims(
  app: FastifyInstance,
  request: FastifyRequest,
): Readonly<TokenClaims> | null {
  if (request.authClaims !== undefined) return request.authClaims;
  if (!request.headers.authorization) return (request.authClaims = null);
  try {
    return authenticate(app, request);
  } catch {
    return null;
  }
}

// Claims of a cached token are one frozen object shared by its requests: split them once.
const scopeSets = new WeakMap<object, ReadonlySet<string>>();

export function scopesOf(claims: Readonly<TokenClaims>): ReadonlySet<string> {
  let scopes = scopeSets.get(claims);
  if (scopes === undefined) {
    scopes = new Set((claims.scope ?? '').split(/\s+/).filter(Boolean));
    if (Object.isFrozen(claims)) scopeSets.set(claims, scopes);
  }
  return scopes;
}

/**
 * A route hook that needs a valid token carrying every one of `required`. Synchronous: an
 * async hook costs a promise per request for nothing.
 */
export function requireScopes(app: FastifyInstance, ...required: Scope[]): onRequestHookHandler {
  return (request, _reply, done) => {
    let claims: Readonly<TokenClaims>;
    try {
      claims = authenticate(app, request);
    } catch (err) {
      done(err as Error);
      return;
    }
    const granted = scopesOf(claims);
    for (const scope of required) {
      if (!granted.has(scope)) {
        const missing = required.filter((s) => !granted.has(s));
        done(new AppError('FORBIDDEN', { required, missing }));
        return;
      }
    }
    done();
  };
}
