import { createSigner } from 'fast-jwt';
import { JWT_ALGORITHM, SCOPES, type Scope, type TokenClaims } from './auth.js';

export interface TokenRequest {
  subject: string;
  scopes: readonly string[];
  /** Lifetime in milliseconds. */
  ttlMs: number;
}

export class TokenRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** Signs an HS256 access token the API accepts. */
export function signToken(secret: string, req: TokenRequest): string {
  if (req.subject.trim() === '') throw new TokenRequestError('subject must not be empty');
  const unknown = req.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new TokenRequestError(
      `unknown scope(s) ${unknown.join(', ')}; known scopes: ${SCOPES.join(', ')}`,
    );
  }
  if (!Number.isFinite(req.ttlMs) || req.ttlMs <= 0) {
    throw new TokenRequestError('ttl must be a positive duration');
  }
  const sign = createSigner({ key: secret, algorithm: JWT_ALGORITHM, expiresIn: req.ttlMs });
  const claims: TokenClaims = { sub: req.subject, scope: (req.scopes as Scope[]).join(' ') };
  return sign(claims);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `15m`, `1h`, `7d`, `500ms` (or bare seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new TokenRequestError(`invalid duration "${text}": use e.g. 30m, 1h, 7d`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 's'];
}
