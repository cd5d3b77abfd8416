import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../shared/make-dirs.js';
import { join } from 'node:path';

export const JWT_SECRET_FILE = 'jwt-secret';

export interface ResolvedSecret {
  secret: string;
  /** Where the secret came from: the environment, an existing file, or a file just created. */
  source: 'env' | 'file' | 'generated';
  file?: string;
}

/**
 * MAGNETAR_JWT_SECRET when set; otherwise the secret kept in the data dir, generated (0600)
 * on first use so a fresh clone works with no configuration.
 */
export function resolveJwtSecret(envSecret: string | undefined, dataDir: string): ResolvedSecret {
  if (envSecret) return { secret: envSecret, source: 'env' };
  makeDirs(dataDir);
  const file = join(dataDir, JWT_SECRET_FILE);
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx' fails when the file exists, so two processes starting at once keep one secret.
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return { secret, source: 'generated', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = readFileSync(file, 'utf8').trim();
  if (existing.length < 32) throw new JwtSecretError(`${file} holds no usable secret`);
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new JwtSecretError(`${file} is readable by other users; chmod 600 it`);
  }
  return { secret: existing, source: 'file', file };
}

export class JwtSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtSecretError';
  }
}
