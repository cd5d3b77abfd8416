import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, startHarness } from '../app/app-harness.js';
import { ROUTES, type RouteModule } from '../../src/app/routes/index.js';

const user = { name: 'Alice', email: 'alice@example.com', age: 30 };

test('a thrown error becomes a 500 envelope with the request id and no stack', async (t) => {
  const boom: RouteModule = (app) => {
    app.get('/api/v1/boom', async () => {
      throw new Error('database password is hunter2');
    });
  };
  const h = await startHarness(t, { routes: [...ROUTES, boom] });
  const res = await h.app.inject({
    method: 'GET',
    url: '/api/v1/boom',
    headers: { 'x-request-id': 'req-boom-1' },
  });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), {
    code: 50001,
    message: 'Internal server error',
    data: { requestId: 'req-boom-1' },
  });
  assert.equal(res.headers['x-request-id'], 'req-boom-1');
  assert.doesNotMatch(res.body, /hunter2|at .*\.ts|stack/);
  const logged = h.logs.find((l) => l.msg === 'unhandled error');
  assert.ok(logged, 'the error is logged');
  assert.equal(logged.requestId, 'req-boom-1');
  assert.match(String((logged.err as { stack: string }).stack), /hunter2[\s\S]*errors-and-limits/);
});

test('request ids: an incoming plain id is honoured, others are replaced', async (t) => {
  const h = await startHarness(t);
  const mine = await h.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
  assert.equal(mine.headers['x-request-id'], 'abc-123');
  const generated = await h.app.inject({ url: '/healthz' });
  assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const hostile = await h.app.inject({
    url: '/healthz',
    headers: { 'x-request-id': 'x'.repeat(200) },
  });
  assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const notFound = await h.app.inject({ url: '/nowhere', headers: { 'x-request-id': 'nf-1' } });
  assert.equal(notFound.headers['x-request-id'], 'nf-1');
  const line = h.logs.find((l) => l.requestId === 'nf-1');
  assert.ok(line, 'log lines of the request carry its id');
});

test('unknown routes answer a 404 envelope', async (t) => {
  const h = await startHarness(t);
  // (DELETE on /api/v1/users, a path with other methods, is a 405: see request-edges.)
  const res = await h.app.inject({ method: 'DELETE', url: '/api/v1/nothing?x=1' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), {
    code: 40401,
    message: 'Route not found',
    data: { method: 'DELETE', url: '/api/v1/nothing' },
  });
});

test('413 for a body over the limit, 415 for a non-JSON body, 400 for malformed JSON', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_BODY_LIMIT_BYTES: '256' } });
  const headers = bearer(h.token(['users:write']));
  const big = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers,
    payload: { ...user, name: 'x'.repeat(300) },
  });
  assert.equal(big.statusCode, 413);
  assert.deepEqual(big.json(), { code: 41301, message: 'Request body is too large', data: null });

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { ...headers, 'content-type': type },
      payload: 'name=Alice',
    });
    assert.equal(res.statusCode, 415, type);
    assert.equal(res.json().code, 41501, type);
  }

  for (const payload of ['{"name":"Al"', '{name: "Al"}', 'null x']) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { ...headers, 'content-type': 'application/json' },
      payload,
    });
    assert.equal(res.statusCode, 400, payload);
    assert.equal(res.json().code, 40002, payload);
  }
  const empty = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: { ...headers, 'content-type': 'application/json' },
  });
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().code, 40002);
});

test('429 with Retry-After and x-ratelimit headers, counted per token subject', async (t) => {
  const h = await startHarness(t, {
    env: { MAGNETAR_RATE_LIMIT_MAX: '3', MAGNETAR_RATE_LIMIT_WINDOW_MS: '60000' },
  });
  const alice = bearer(h.token(['users:write'], 'alice'));
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await h.app.inject({ url: '/api/v1/users', headers: alice });
    statuses.push(last.statusCode);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  assert.ok(last);
  assert.equal(last.json().code, 42901);
  assert.equal(last.json().message, 'Too many requests');
  assert.ok(Number(last.headers['retry-after']) > 0);
  assert.equal(last.headers['x-ratelimit-limit'], '3');
  assert.equal(last.headers['x-ratelimit-remaining'], '0');
  assert.ok(last.headers['x-ratelimit-reset'] !== undefined);

  // Another subject has its own budget, even from the same address.
  const bob = await h.app.inject({ url: '/api/v1/users', headers: bearer(h.token([], 'bob')) });
  assert.equal(bob.statusCode, 200);
  assert.equal(bob.headers['x-ratelimit-remaining'], '2');
  // Anonymous callers are counted by IP; a forged token does not buy a fresh budget.
  const anon = await h.app.inject({ url: '/api/v1/users' });
  assert.equal(anon.headers['x-ratelimit-remaining'], '2');
  const forged = await h.app.inject({
    url: '/api/v1/users',
    headers: bearer(h.token([], 'carol').slice(0, -4) + 'AAAA'),
  });
  assert.equal(forged.headers['x-ratelimit-remaining'], '1');

  // Probes are never limited.
  for (let i = 0; i < 5; i++) {
    assert.equal((await h.app.inject({ url: '/healthz', headers: alice })).statusCode, 200);
  }
});

test('CORS and security headers are set', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    url: '/api/v1/users',
    headers: { origin: 'https://app.example' },
  });
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

test('behind a trusted proxy, anonymous clients are told apart by X-Forwarded-For', async (t) => {
  const h = await startHarness(t, {
    env: { MAGNETAR_RATE_LIMIT_MAX: '1', MAGNETAR_TRUST_PROXY: 'true' },
  });
  const from = (ip: string) =>
    h.app.inject({ url: '/api/v1/users', headers: { 'x-forwarded-for': ip } });
  assert.equal((await from('203.0.113.1')).statusCode, 200);
  assert.equal((await from('203.0.113.1')).statusCode, 429);
  assert.equal((await from('203.0.113.2')).statusCode, 200);
});

test('requests for unknown URLs count against the rate limit', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_RATE_LIMIT_MAX: '2' } });
  const statuses = [];
  for (const path of ['/admin.php', '/.env', '/wp-login.php']) {
    statuses.push((await h.app.inject({ url: path })).statusCode);
  }
  assert.deepEqual(statuses, [404, 404, 429]);
});

test('a URL that is not valid percent-encoding gets a 400 envelope', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    url: '/api/v1/users/%zz',
    headers: { 'x-request-id': 'bad-url' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 40003);
  assert.equal(res.json().message, 'Bad request');
  assert.equal(res.headers['x-request-id'], 'bad-url');
});

test('an over-long path parameter is the route validation error; past the router limit a 400 without the URL', async (t) => {
  const h = await startHarness(t);
  for (const n of [65, 101, 1024]) {
    const res = await h.app.inject({ url: `/api/v1/users/${'a'.repeat(n)}/activity` });
    assert.equal(res.statusCode, 400, `${n}`);
    assert.deepEqual(res.json().data.errors, [
      { field: 'id', message: 'must NOT have more than 64 characters' },
    ]);
  }
  const res = await h.app.inject({ url: `/api/v1/users/${'a'.repeat(1025)}` });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), {
    code: 40003,
    message: 'Bad request',
    data: { reason: 'a path parameter is over 1024 characters' },
  });
});

test('every API route refuses query parameters it does not know, naming them', async (t) => {
  const h = await startHarness(t);
  const admin = bearer(h.token(['admin', 'users:write', 'events:write']));
  const json = { ...admin, 'content-type': 'application/json' };
  const requests = [
    { method: 'GET', url: '/api/v1/users/someone?verbose=1', headers: admin },
    { method: 'POST', url: '/api/v1/users?verbose=1', headers: json, payload: user },
    {
      method: 'POST',
      url: '/api/v1/events?verbose=1',
      headers: json,
      payload: { type: 'item.viewed', userId: 'u1' },
    },
    { method: 'GET', url: '/api/v1/users?verbose=1', headers: admin },
    { method: 'GET', url: '/api/v1/admin/topics?verbose=1', headers: admin },
  ] as const;
  for (const r of requests) {
    const res = await h.app.inject(r);
    assert.equal(res.statusCode, 400, `${r.method} ${r.url}: ${res.body}`);
    assert.equal(res.json().code, 40001);
    assert.deepEqual(
      res.json().data.errors.map((e: { field: string }) => e.field),
      ['verbose'],
      r.url,
    );
  }
  // Probes and documents outside /api take any query string (cache busters).
  assert.equal((await h.app.inject({ url: '/healthz?t=1' })).statusCode, 200);
});

test('a known 503 is one warning line with its code and cause, without a stack', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    url: '/api/v1/admin/topics',
    headers: bearer(h.token(['admin'])),
  });
  assert.equal(res.json().code, 50301);
  const warnings = h.logs.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(warnings[0].code, 50301);
  assert.equal(warnings[0].errorName, 'BROKER_UNAVAILABLE');
  assert.ok(!JSON.stringify(warnings[0]).includes('    at '), 'no stack trace');
});
