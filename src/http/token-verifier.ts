import { createVerifier } from 'fast-jwt';
import { AppError } from './errors.js';

/** Claims of a Magnetar access token. `scope` is space-separated, as in OAuth 2.0. */
export interface TokenClaims {
  sub: string;
  scope?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
}

export const JWT_ALGORITHM = 'HS256';

/** Verified tokens kept by default; a client reuses one token for many calls. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

export interface TokenVerifierOptions {
  secret: string;
  /** Most verified tokens kept; the least recently used one goes first. Default 10,000. */
  maxEntries?: number;
  /** Milliseconds since the epoch; injected by tests. Default `Date.now`. */
  now?: () => number;
}

export interface TokenVerifier {
  /** The token's claims (frozen, shared between requests), or the 401 that fits. */
  verify(token: string): Readonly<TokenClaims>;
  /** Tokens cached now. */
  readonly size: number;
}

interface CachedToken {
  token: string;
  claims: Readonly<TokenClaims>;
  /** Bounds of validity in ms, compared as fast-jwt does: valid while nbfMs <= now <= expMs. */
  nbfMs: number;
  expMs: number;
}

/**
 * Tokens are indexed by their last characters (the end of the HMAC signature) and a hit is
 * confirmed against the whole text. Hashing a fresh 180-character string for a Map lookup costs
 * more than the rest of a cache hit together; a short suffix hashes in a few nanoseconds.
 * Tokens sharing a suffix only replace one another in the cache.
 */
const INDEX_CHARS = 16;

/**
 * Verifies HS256 bearer tokens, keeping verified ones by their exact text. A repeat token
 * costs one Map lookup, a string comparison and two comparisons with the clock instead of an
 * HMAC (fast-jwt's own cache hashes the token with SHA-256 on every lookup, which costs about
 * as much). Every hit re-checks `exp` and `nbf`, so a cached token that expired gets
 * TOKEN_EXPIRED like any other. Only tokens that passed every check are kept: a forged or
 * malformed token is verified (and refused) each time it is sent.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const maxEntries = opts.maxEntries ?? DEFAULT_TOKEN_CACHE_SIZE;
  const now = opts.now ?? Date.now;
  const verifyJwt = createVerifier({
    key: opts.secret,
    algorithms: [JWT_ALGORITHM],
    cache: false,
    clockTolerance: 0,
  });
  // A Map iterates in insertion order: re-inserting on a hit keeps the first key the least
  // recently used one.
  const cache = new Map<string, CachedToken>();
  let newest: string | undefined;

  function fromCache(token: string): Readonly<TokenClaims> | undefined {
    const key = token.slice(-INDEX_CHARS);
    const hit = cache.get(key);
    if (hit === undefined || hit.token !== token) return undefined;
    const t = now();
    if (t > hit.expMs) {
      cache.delete(key);
      throw unauthorized('TOKEN_EXPIRED');
    }
    // Only reachable when the clock steps back; fast-jwt reports it as an invalid token too.
    if (t < hit.nbfMs) throw unauthorized('TOKEN_INVALID');
    if (key !== newest) {
      cache.delete(key);
      cache.set(key, hit);
      newest = key;
    }
    return hit.claims;
  }

  function remember(token: string, claims: Readonly<TokenClaims>): void {
    if (maxEntries <= 0) return;
    const key = token.slice(-INDEX_CHARS);
    if (!cache.delete(key) && cache.size >= maxEntries) {
      cache.delete(cache.keys().next().value as string);
    }
    cache.set(key, {
      token,
      claims,
      nbfMs: typeof claims.nbf === 'number' ? claims.nbf * 1000 : -Infinity,
      expMs: typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity,
    });
    newest = key;
  }

  return {
    verify(token) {
      const cached = fromCache(token);
      if (cached !== undefined) return cached;
      let claims: TokenClaims;
      try {
        claims = verifyJwt(token) as TokenClaims;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'FAST_JWT_EXPIRED') throw unauthorized('TOKEN_EXPIRED', undefined, err);
        throw unauthorized('TOKEN_INVALID', undefined, err);
      }
      if (typeof claims.sub !== 'string' || claims.sub === '') {
        throw unauthorized('TOKEN_INVALID', 'Token has no subject');
      }
      if (claims.scope !== undefined && typeof claims.scope !== 'string') {
        throw unauthorized('TOKEN_INVALID', 'Token scope must be a space-separated string');
      }
      // Shared by every request that sends this token: nobody may change it.
      const frozen = Object.freeze(claims);
      remember(token, frozen);
      return frozen;
    },
    get size() {
      return cache.size;
    },
  };
}

export type UnauthorizedName = 'UNAUTHORIZED' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED';

export function unauthorized(name: UnauthorizedName, reason?: string, cause?: unknown): AppError {
  return new AppError(name, reason ? { reason } : null, {
    cause,
    headers: { 'www-authenticate': 'Bearer' },
  });
}
