import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JwtSecretError, resolveJwtSecret } from '../../src/app/jwt-secret.js';
import { Readiness } from '../../src/app/readiness.js';
import { ShutdownSequence } from '../../src/app/shutdown.js';
import { parseDuration, signToken, TokenRequestError } from '../../src/http/tokens.js';

const quietLogger = { info: () => undefined, error: () => undefined };

test('shutdown runs phases in order, hooks of a phase last-registered first, once', async () => {
  const order: string[] = [];
  const seq = new ShutdownSequence(quietLogger);
  seq.register('database', 'db', () => void order.push('db'));
  seq.register('broker', 'broker', async () => void order.push('broker'));
  seq.register('http', 'http', () => void order.push('http'));
  seq.register('consumers', 'consumer-a', () => void order.push('consumer-a'));
  seq.register('consumers', 'consumer-b', () => void order.push('consumer-b'));
  seq.register('publisher', 'publisher', () => {
    order.push('publisher');
    throw new Error('flush failed');
  });
  assert.equal(seq.started, false);
  const [first, second] = await Promise.all([seq.run('SIGTERM'), seq.run('SIGINT')]);
  assert.equal(seq.started, true);
  assert.equal(first, second);
  assert.deepEqual(first, { clean: false, failed: ['publisher'] });
  assert.deepEqual(order, ['http', 'consumer-b', 'consumer-a', 'publisher', 'broker', 'db']);
});

test('readiness: all checks must pass; a hanging check times out', async () => {
  const r = new Readiness(50);
  assert.deepEqual(await r.report(), { ready: true, checks: {} });
  r.add('db', () => ({ ok: true }));
  r.add('slow', () => new Promise(() => undefined));
  assert.throws(() => r.add('db', () => ({ ok: true })), RangeError);
  assert.deepEqual(await r.report(), {
    ready: false,
    checks: { db: { ok: true }, slow: { ok: false, detail: 'check timed out' } },
  });
});

test('the JWT secret is generated once with mode 0600 and reused; the env wins', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = resolveJwtSecret(undefined, dir);
  assert.equal(first.source, 'generated');
  assert.ok(first.secret.length >= 32);
  assert.equal(statSync(first.file!).mode & 0o777, 0o600);
  assert.equal(readFileSync(first.file!, 'utf8').trim(), first.secret);
  const second = resolveJwtSecret(undefined, dir);
  assert.deepEqual({ ...second, source: 'generated' }, first);
  assert.equal(second.source, 'file');
  assert.deepEqual(resolveJwtSecret('e'.repeat(32), dir), {
    secret: 'e'.repeat(32),
    source: 'env',
  });

  chmodSync(first.file!, 0o644);
  assert.throws(() => resolveJwtSecret(undefined, dir), JwtSecretError);
  writeFileSync(first.file!, 'short', { mode: 0o600 });
  chmodSync(first.file!, 0o600);
  assert.throws(() => resolveJwtSecret(undefined, dir), /no usable secret/);
});

test('token requests are checked: scopes, subject, ttl', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('30'), 30_000);
  assert.throws(() => parseDuration('1 hour'), TokenRequestError);
  const secret = 'k'.repeat(32);
  assert.throws(
    () => signToken(secret, { subject: 'a', scopes: ['root'], ttlMs: 1000 }),
    /unknown scope\(s\) root/,
  );
  assert.throws(
    () => signToken(secret, { subject: ' ', scopes: [], ttlMs: 1000 }),
    TokenRequestError,
  );
  const token = signToken(secret, {
    subject: 'a',
    scopes: ['admin', 'users:write'],
    ttlMs: 60_000,
  });
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'a');
  assert.equal(claims.scope, 'admin users:write');
  assert.equal(claims.exp - claims.iat, 60);
});
