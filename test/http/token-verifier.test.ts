import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSigner } from 'fast-jwt';
import { bearer, startHarness, TEST_SECRET } from '../app/app-harness.js';
import { isAppError } from '../../src/http/errors.js';
import { signToken } from '../../src/http/tokens.js';
import { createTokenVerifier } from '../../src/http/token-verifier.js';

const SECRET = 'verifier-secret-0123456789-abcdefghij';

function tokenFor(subject: string, ttlMs = 60_000, secret = SECRET): string {
  return signToken(secret, { subject, scopes: ['events:write'], ttlMs });
}

function refusedAs(name: string) {
  return (err: unknown) => {
    assert.ok(isAppError(err), `an AppError, got ${String(err)}`);
    assert.equal(err.errorName, name);
    assert.equal(err.statusCode, 401);
    assert.equal(err.headers['www-authenticate'], 'Bearer');
    return true;
  };
}

test('a cached token that expires afterwards is refused as TOKEN_EXPIRED', () => {
  let now = Date.now();
  const verifier = createTokenVerifier({ secret: SECRET, now: () => now });
  const token = tokenFor('alice', 5_000);
  assert.equal(verifier.verify(token).sub, 'alice');
  assert.equal(verifier.size, 1);
  // A hit: the signature is not checked again, yet the expiry is.
  assert.equal(verifier.verify(token).sub, 'alice');
  now += 10_000;
  assert.throws(() => verifier.verify(token), refusedAs('TOKEN_EXPIRED'));
  assert.equal(verifier.size, 0, 'the expired token leaves the cache');
});

test('hits return the same frozen claims; a cached token before its nbf is refused', () => {
  let now = Date.now();
  const verifier = createTokenVerifier({ secret: SECRET, now: () => now });
  const sign = createSigner({ key: SECRET, notBefore: 0, expiresIn: 60_000 });
  const token = sign({ sub: 'bob', scope: 'admin' });
  const first = verifier.verify(token);
  assert.ok(Object.isFrozen(first));
  assert.equal(verifier.verify(token), first);
  // Only a clock stepping back gets here; fast-jwt calls such a token invalid.
  now -= 60_000;
  assert.throws(() => verifier.verify(token), refusedAs('TOKEN_INVALID'));
});

test('a forged token is refused every time, also after a good token was cached', () => {
  const verifier = createTokenVerifier({ secret: SECRET });
  const good = tokenFor('alice');
  verifier.verify(good);
  const forged = tokenFor('alice', 60_000, 'another-secret-another-secret-xx');
  const [header, payload, signature] = good.split('.');
  const spliced = `${header}.${payload}.${forged.split('.')[2]}`;
  // The good token's signature on other claims: the same last characters as the cached token.
  const otherClaims = Buffer.from(
    JSON.stringify({ sub: 'mallory', scope: 'admin', exp: 9_999_999_999 }),
  ).toString('base64url');
  const resigned = `${header}.${otherClaims}.${signature}`;
  for (let i = 0; i < 3; i++) {
    assert.throws(() => verifier.verify(forged), refusedAs('TOKEN_INVALID'));
    assert.throws(() => verifier.verify(spliced), refusedAs('TOKEN_INVALID'));
    assert.throws(() => verifier.verify(resigned), refusedAs('TOKEN_INVALID'));
    assert.throws(() => verifier.verify(`${good}x`), refusedAs('TOKEN_INVALID'));
    assert.equal(verifier.verify(good).sub, 'alice');
  }
  assert.equal(verifier.size, 1, 'refused tokens are not kept');
  const noSubject = createSigner({ key: SECRET, expiresIn: 60_000 })({ scope: 'admin' });
  assert.throws(() => verifier.verify(noSubject), refusedAs('TOKEN_INVALID'));
  assert.equal(verifier.size, 1);
});

test('an expired token is refused as TOKEN_EXPIRED and not kept', () => {
  const verifier = createTokenVerifier({ secret: SECRET });
  const sign = createSigner({ key: SECRET, expiresIn: 1000, clockTimestamp: Date.now() - 60_000 });
  assert.throws(() => verifier.verify(sign({ sub: 'late' })), refusedAs('TOKEN_EXPIRED'));
  assert.equal(verifier.size, 0);
});

test('the cache holds at most maxEntries tokens, dropping the least recently used', () => {
  const verifier = createTokenVerifier({ secret: SECRET, maxEntries: 3 });
  const tokens = ['a', 'b', 'c', 'd', 'e'].map((s) => tokenFor(s));
  verifier.verify(tokens[0]);
  verifier.verify(tokens[1]);
  verifier.verify(tokens[2]);
  verifier.verify(tokens[0]); // a is now the most recently used; b the least
  verifier.verify(tokens[3]); // evicts b
  assert.equal(verifier.size, 3);
  for (const t of tokens.slice(4).concat(tokens)) verifier.verify(t);
  assert.equal(verifier.size, 3);
  const bounded = createTokenVerifier({ secret: SECRET, maxEntries: 100 });
  for (let i = 0; i < 250; i++) bounded.verify(tokenFor(`user-${i}`));
  assert.equal(bounded.size, 100);
  // Evicted tokens are still valid: they are verified again and come back.
  assert.equal(bounded.verify(tokenFor('user-0')).sub, 'user-0');
  assert.equal(bounded.size, 100);
});

test('which tokens stay cached follows recency', () => {
  let verifications = 0;
  const now = () => {
    verifications++;
    return Date.now();
  };
  // The clock is read once per cache hit and not at all on a miss: it counts the hits.
  const verifier = createTokenVerifier({ secret: SECRET, maxEntries: 2, now });
  const [a, b, c] = ['a', 'b', 'c'].map((s) => tokenFor(s));
  verifier.verify(a);
  verifier.verify(b);
  verifier.verify(a); // hit; b is the least recently used
  verifier.verify(c); // evicts b
  verifications = 0;
  verifier.verify(a);
  verifier.verify(c);
  assert.equal(verifications, 2, 'a and c are hits');
  verifier.verify(b);
  assert.equal(verifications, 2, 'b was evicted: a miss');
});

test('over HTTP, a token that expires between two requests gets 40103', async (t) => {
  const h = await startHarness(t);
  // exp counts whole seconds from a rounded-down iat: this token lives 2 to 3 seconds.
  const token = signToken(TEST_SECRET, {
    subject: 'brief',
    scopes: ['users:write'],
    ttlMs: 3000,
  });
  const post = (email: string) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(token),
      payload: { name: 'Brief', email, age: 30 },
    });
  const first = await post('brief1@example.com');
  assert.equal(first.statusCode, 201, first.body);
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as {
    exp: number;
  };
  await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
  const second = await post('brief2@example.com');
  assert.equal(second.statusCode, 401);
  assert.equal(second.json().code, 40103);
  assert.equal(second.headers['www-authenticate'], 'Bearer');
});

test('over HTTP, a forged token is refused after the real one was served', async (t) => {
  const h = await startHarness(t);
  const real = h.token(['users:write'], 'alice');
  const ok = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(real),
    payload: { name: 'Alice', email: 'alice@example.com', age: 30 },
  });
  assert.equal(ok.statusCode, 201);
  const [header, payload, signature] = real.split('.');
  const forgedSignature = tokenFor('alice', 60_000, 'another-secret-another-secret-xx');
  const adminClaims = Buffer.from(
    JSON.stringify({ sub: 'alice', scope: 'users:write admin', exp: 9_999_999_999 }),
  ).toString('base64url');
  for (const forged of [
    `${header}.${payload}.${forgedSignature.split('.')[2]}`,
    `${header}.${adminClaims}.${signature}`,
    `${real}A`,
  ]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(forged),
      payload: { name: 'Mallory', email: 'mallory@example.com', age: 30 },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 40102);
  }
});
