import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSigner } from 'fast-jwt';
import { bearer, startHarness, TEST_SECRET } from './app-harness.js';
import type { DomainEvent } from '../../src/app/deps.js';

const alice = { name: 'Alice', email: 'alice@example.com', age: 30 };

test('POST /api/v1/users creates a user and answers 201 with the envelope', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(h.token(['users:write'])),
    payload: alice,
  });
  assert.equal(res.statusCode, 201);
  const body = res.json();
  assert.equal(body.code, 0);
  assert.equal(body.message, 'ok');
  assert.match(body.data.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(
    { name: body.data.name, email: body.data.email, age: body.data.age },
    { name: 'Alice', email: 'alice@example.com', age: 30 },
  );
  assert.ok(!Number.isNaN(Date.parse(body.data.createdAt)));
  assert.equal(res.headers.location, `/api/v1/users/${body.data.id}`);
  assert.ok(res.headers['x-request-id']);
});

test('POST /api/v1/users without age stores none', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(h.token(['users:write'])),
    payload: { name: 'Bo', email: 'bo@example.com' },
  });
  assert.equal(res.statusCode, 201);
  assert.equal('age' in res.json().data, false);
});

test('validation matrix: each bad body names its fields', async (t) => {
  const h = await startHarness(t);
  const headers = bearer(h.token(['users:write']));
  const cases: { body: unknown; fields: string[] }[] = [
    { body: { email: 'a@example.com' }, fields: ['name'] },
    { body: { name: 'A', email: 'a@example.com' }, fields: ['name'] },
    { body: { name: 'x'.repeat(101), email: 'a@example.com' }, fields: ['name'] },
    { body: { name: 'Al' }, fields: ['email'] },
    { body: { name: 'Al', email: 'not-an-email' }, fields: ['email'] },
    { body: { name: 'Al', email: 'a@example.com', age: -1 }, fields: ['age'] },
    { body: { name: 'Al', email: 'a@example.com', age: 121 }, fields: ['age'] },
    { body: { name: 'Al', email: 'a@example.com', age: 30.5 }, fields: ['age'] },
    { body: { name: 'Al', email: 'a@example.com', age: '30' }, fields: ['age'] },
    { body: { name: 42, email: 'a@example.com' }, fields: ['name'] },
    { body: { name: 'Al', email: 'a@example.com', admin: true }, fields: ['admin'] },
    { body: [], fields: ['(root)'] },
    { body: {}, fields: ['name', 'email'] },
    {
      body: { name: 'A', email: 'nope', age: 200, extra: 1 },
      fields: ['name', 'email', 'age', 'extra'],
    },
  ];
  for (const c of cases) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: c.body as object,
    });
    assert.equal(res.statusCode, 400, JSON.stringify(c.body));
    const body = res.json();
    assert.equal(body.code, 40001);
    assert.equal(body.message, 'Request validation failed');
    const fields = body.data.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, [...c.fields].sort(), JSON.stringify(c.body));
    for (const e of body.data.errors) assert.ok(e.message.length > 0);
  }
  // Boundaries are accepted.
  for (const body of [
    { name: 'Al', email: 'b1@example.com', age: 0 },
    { name: 'x'.repeat(100), email: 'b2@example.com', age: 120 },
  ]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: body,
    });
    assert.equal(res.statusCode, 201, JSON.stringify(body));
  }
});

test('401 for a missing, malformed, forged or expired token; 403 for a missing scope', async (t) => {
  const h = await startHarness(t);
  const post = (headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/users', headers, payload: alice });

  const missing = await post({});
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.json().code, 40101);
  assert.equal(missing.headers['www-authenticate'], 'Bearer');

  const malformed = await post({ authorization: 'Basic abc' });
  assert.equal(malformed.statusCode, 401);
  assert.equal(malformed.json().code, 40102);

  const forgedSigner = createSigner({ key: 'another-secret-another-secret-xx', expiresIn: 60_000 });
  const forged = await post(bearer(forgedSigner({ sub: 'mallory', scope: 'users:write' })));
  assert.equal(forged.statusCode, 401);
  assert.equal(forged.json().code, 40102);

  const noneAlg = ['{"alg":"none","typ":"JWT"}', '{"sub":"m","scope":"users:write"}']
    .map((p) => Buffer.from(p).toString('base64url'))
    .join('.');
  assert.equal((await post(bearer(`${noneAlg}.`))).statusCode, 401);

  const expiredSigner = createSigner({
    key: TEST_SECRET,
    expiresIn: 1000,
    clockTimestamp: Date.now() - 60_000,
  });
  const expired = await post(bearer(expiredSigner({ sub: 'late', scope: 'users:write' })));
  assert.equal(expired.statusCode, 401);
  assert.equal(expired.json().code, 40103);

  const wrongScope = await post(bearer(h.token(['events:write'])));
  assert.equal(wrongScope.statusCode, 403);
  assert.deepEqual(wrongScope.json(), {
    code: 40301,
    message: 'Token lacks a required scope',
    data: { required: ['users:write'], missing: ['users:write'] },
  });
});

test('409 when the email is taken, case-insensitively', async (t) => {
  const h = await startHarness(t);
  const headers = bearer(h.token(['users:write']));
  const first = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers,
    payload: alice,
  });
  assert.equal(first.statusCode, 201);
  const again = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers,
    payload: { ...alice, email: 'ALICE@example.com' },
  });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 40901);
});

test('GET /api/v1/users/:id returns the user, 404 otherwise, and emits user.viewed', async (t) => {
  const published: DomainEvent[] = [];
  const h = await startHarness(t, {
    deps: { publisher: { publish: async (e) => void published.push(e) } },
  });
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(h.token(['users:write'])),
    payload: alice,
  });
  const id = created.json().data.id;
  const res = await h.app.inject({ method: 'GET', url: `/api/v1/users/${id}` });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), created.json());
  assert.deepEqual(published, [{ type: 'user.viewed', userId: id }]);
  // HEAD answers like GET but is not a view.
  const head = await h.app.inject({ method: 'HEAD', url: `/api/v1/users/${id}` });
  assert.equal(head.statusCode, 200);
  assert.equal(published.length, 1);

  const missing = await h.app.inject({ method: 'GET', url: '/api/v1/users/no-such-user' });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), {
    code: 40402,
    message: 'User not found',
    data: { id: 'no-such-user' },
  });
  assert.equal(published.length, 1);
});

test('a failing publisher does not fail the read', async (t) => {
  const h = await startHarness(t, {
    deps: { publisher: { publish: async () => Promise.reject(new Error('broker down')) } },
  });
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(h.token(['users:write'])),
    payload: alice,
  });
  const res = await h.app.inject({ method: 'GET', url: `/api/v1/users/${created.json().data.id}` });
  assert.equal(res.statusCode, 200);
});

test('GET /api/v1/users pages with an opaque cursor', async (t) => {
  const h = await startHarness(t);
  const headers = bearer(h.token(['users:write']));
  for (let i = 0; i < 5; i++) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: { name: `User ${i}`, email: `u${i}@example.com`, age: 20 + i },
    });
    assert.equal(res.statusCode, 201);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.code, 0);
    seen.push(...body.data.items.map((u: { name: string }) => u.name));
    cursor = body.data.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ['User 0', 'User 1', 'User 2', 'User 3', 'User 4']);

  const all = await h.app.inject({ method: 'GET', url: '/api/v1/users' });
  assert.equal(all.json().data.items.length, 5);
  assert.equal(all.json().data.nextCursor, null);
});

test('GET /api/v1/users rejects bad paging parameters', async (t) => {
  const h = await startHarness(t);
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    // JavaScript reads these as numbers; an API takes decimal digits.
    ['limit=0x10', 'limit'],
    ['limit=%2B5', 'limit'],
    ['limit=1e1', 'limit'],
    ['limit=%205', 'limit'],
    ['limit=5.0', 'limit'],
    ['cursor=bm9wZQ', 'cursor'],
    ['sort=name', 'sort'],
  ]) {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/users?${query}` });
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().code, 40001);
    assert.deepEqual(
      res.json().data.errors.map((e: { field: string }) => e.field),
      [field],
      query,
    );
  }
});
