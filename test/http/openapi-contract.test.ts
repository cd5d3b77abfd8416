import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { bearer, startHarness, type Harness } from '../app/app-harness.js';
import { idleKeepAlive } from './raw-http.js';

// ajv-formats ships CommonJS with a default export that NodeNext sees as a namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema: Record<string, unknown> }[];
  responses: Record<
    string,
    {
      description: string;
      headers?: Record<string, unknown>;
      content?: Record<string, { schema: object }>;
    }
  >;
}
type Spec = { paths: Record<string, Record<string, Operation>> };

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

async function spec(h: Harness): Promise<Spec> {
  const res = await h.app.inject({ url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  return res.json() as Spec;
}

function operation(doc: Spec, method: string, path: string): { template: string; op: Operation } {
  for (const [template, ops] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = ops[method.toLowerCase()];
    if (op && pattern.test(path.split('?')[0])) return { template, op };
  }
  assert.fail(`no operation ${method} ${path}`);
}

/** Headers a client may act on, which the document must declare where they are sent. */
const MEANINGFUL_HEADERS = [
  'location',
  'retry-after',
  'idempotent-replayed',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/** Checks a real answer against what the document declares for its status. */
function assertDocumented(doc: Spec, method: string, path: string, res: Answer): void {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const { template, op } = operation(doc, method, path);
  const declared = op.responses[String(res.status)];
  assert.ok(declared, `${method} ${template} does not declare ${res.status}`);
  assert.notEqual(declared.description, 'Default Response');
  const schema = declared.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${template} ${res.status} has no JSON schema`);
  const validate = ajv.compile(schema);
  assert.ok(
    validate(JSON.parse(res.body)),
    `${method} ${template} ${res.status}: ${ajv.errorsText(validate.errors)} in ${res.body}`,
  );
  for (const name of MEANINGFUL_HEADERS) {
    if (res.headers[name] === undefined) continue;
    assert.ok(
      declared.headers?.[name],
      `${method} ${template} ${res.status} sends ${name} but does not declare it`,
    );
  }
}

async function call(
  h: Harness,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  opts: { headers?: Record<string, string>; payload?: string | object } = {},
): Promise<Answer> {
  const res = await h.app.inject({ method, url, headers: opts.headers, payload: opts.payload });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

test('query parameters with a default are optional in the document and the default still applies', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  for (const path of [
    '/api/v1/users',
    '/api/v1/users/{id}/activity',
    '/api/v1/users/{id}/recommendations',
    '/api/v1/admin/dlq',
  ]) {
    const limit = doc.paths[path].get.parameters?.find((p) => p.name === 'limit');
    assert.ok(limit, `${path} documents limit`);
    assert.equal(limit.required, false, `${path} limit is optional`);
    assert.equal(typeof limit.schema.default, 'number');
  }
  const auth = bearer(h.token(['users:write']));
  for (let i = 0; i < 21; i++) {
    const res = await call(h, 'POST', '/api/v1/users', {
      headers: auth,
      payload: { name: `user ${i}`, email: `u${i}@example.com` },
    });
    assert.equal(res.status, 201);
  }
  const page = await call(h, 'GET', '/api/v1/users');
  assert.equal(page.status, 200);
  assert.equal((JSON.parse(page.body) as { data: { items: unknown[] } }).data.items.length, 20);
  assertDocumented(doc, 'GET', '/api/v1/users', page);
});

test('Idempotency-Key is documented on both event routes with the rule the handler applies', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  for (const path of ['/api/v1/events', '/api/v1/events/batch']) {
    const op = doc.paths[path].post;
    const key = op.parameters?.find((p) => p.in === 'header' && /^idempotency-key$/i.test(p.name));
    assert.ok(key, `${path} declares Idempotency-Key`);
    assert.equal(key.required, false);
    assert.equal(key.schema.maxLength, 200);
    assert.equal(key.schema.minLength, 1);
    assert.ok(op.responses['202'].headers?.['idempotent-replayed']);
  }
  // Documenting the header changed nothing about how a bad key is refused.
  const res = await call(h, 'POST', '/api/v1/events', {
    headers: { ...bearer(h.token(['events:write'])), 'idempotency-key': 'x'.repeat(201) },
    payload: { type: 'item.viewed', userId: 'u1' },
  });
  assert.equal(res.status, 400);
  const body = JSON.parse(res.body) as { code: number; data: { errors: { field: string }[] } };
  assert.equal(body.code, 40001);
  assert.deepEqual(
    body.data.errors.map((e) => e.field),
    ['Idempotency-Key'],
  );
  assertDocumented(doc, 'POST', '/api/v1/events', res);
});

test('every operation has an id, described responses and the shared errors it can answer', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const name = `${method.toUpperCase()} ${path}`;
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${name} has an operationId`);
      assert.ok(!ids.has(op.operationId!), `${name}: operationId ${op.operationId} is unique`);
      ids.add(op.operationId!);
      for (const [status, r] of Object.entries(op.responses))
        assert.notEqual(r.description, 'Default Response', `${name} ${status} is described`);
      const expected = ['400', '431', '500', '503'];
      if (op.security?.length) expected.push('401', '403');
      if (method !== 'get') expected.push('413', '415');
      if (path.startsWith('/api/')) expected.push('429');
      if (path === '/api/v1/users/{id}') expected.push('404');
      for (const status of expected) assert.ok(op.responses[status], `${name} declares ${status}`);
      if (op.responses['429']) assert.ok(op.responses['429'].headers?.['retry-after']);
      assert.ok(op.responses['503'].headers?.['retry-after'], `${name} 503 has Retry-After`);
    }
  }
  assert.ok(ids.has('listUsers') && ids.has('publishEvent') && ids.has('createUser'));
  // Only the routes that use the service's database can be refused for a lock held elsewhere.
  assert.match(doc.paths['/api/v1/users'].get.responses['503'].description, /DATABASE_BUSY/);
  assert.doesNotMatch(doc.paths['/healthz'].get.responses['503'].description, /DATABASE_BUSY/);
  // Liveness is never shed; readiness is.
  assert.doesNotMatch(doc.paths['/healthz'].get.responses['503'].description, /OVERLOADED/);
  assert.match(doc.paths['/readyz'].get.responses['503'].description, /OVERLOADED/);
});

test('real answers match the schema and headers the document declares for their status', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  const admin = bearer(h.token(['admin']));
  const created = await call(h, 'POST', '/api/v1/users', {
    headers: bearer(h.token(['users:write'])),
    payload: { name: 'Ada', email: 'ada@example.com', age: 36 },
  });
  assert.equal(created.status, 201);
  assert.ok(created.headers.location);
  const id = (JSON.parse(created.body) as { data: { id: string } }).data.id;
  const samples: [string, 'GET' | 'POST' | 'DELETE', string, Answer, number][] = [
    ['201 with Location', 'POST', '/api/v1/users', created, 201],
    ['200', 'GET', `/api/v1/users/${id}`, await call(h, 'GET', `/api/v1/users/${id}`), 200],
    [
      '400 id too long',
      'GET',
      '/api/v1/users/x',
      await call(h, 'GET', `/api/v1/users/${'x'.repeat(65)}`),
      400,
    ],
    ['400 bad escape', 'GET', '/api/v1/users/x', await call(h, 'GET', '/api/v1/users/%ZZ'), 400],
    ['404', 'GET', '/api/v1/users/x', await call(h, 'GET', '/api/v1/users/nobody'), 404],
    ['401', 'POST', '/api/v1/events', await call(h, 'POST', '/api/v1/events'), 401],
    [
      '415',
      'DELETE',
      '/api/v1/admin/dlq',
      await call(h, 'DELETE', '/api/v1/admin/dlq', {
        headers: { ...admin, 'content-type': 'text/plain' },
        payload: 'x',
      }),
      415,
    ],
    [
      '413',
      'POST',
      '/api/v1/admin/dlq/replay',
      await call(h, 'POST', '/api/v1/admin/dlq/replay', {
        headers: { ...admin, 'content-type': 'application/json' },
        payload: `{${' '.repeat(h.deps.config.bodyLimitBytes)}}`,
      }),
      413,
    ],
    [
      '503 broker unavailable',
      'GET',
      '/api/v1/admin/topics',
      await call(h, 'GET', '/api/v1/admin/topics', { headers: admin }),
      503,
    ],
  ];
  for (const [label, method, path, res, status] of samples) {
    assert.equal(res.status, status, `${label}: ${res.body}`);
    assertDocumented(doc, method, path, res);
  }
});

test('a 503 SHUTTING_DOWN during the drain matches the document', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  const conn = await idleKeepAlive(url);
  const closing = h.app.close();
  await sleep(50);
  conn.socket.write('GET /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n');
  const all = await conn.closed;
  await closing;
  // What came after the first answer, the healthz body.
  const raw = all.slice(all.indexOf('{"status":"ok"}') + '{"status":"ok"}'.length);
  const [head, body] = raw.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  const res = { status: Number(head.split(' ')[1]), headers, body };
  assert.equal(res.status, 503);
  assert.equal((JSON.parse(body) as { code: number }).code, 50303);
  assertDocumented(doc, 'GET', '/api/v1/users', res);
});

test('a 429 matches the document, with its Retry-After and rate limit headers declared', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_RATE_LIMIT_MAX: '1' } });
  const doc = await spec(h);
  assert.equal((await call(h, 'GET', '/api/v1/users')).status, 200);
  const res = await call(h, 'GET', '/api/v1/users');
  assert.equal(res.status, 429);
  assert.ok(res.headers['retry-after']);
  assertDocumented(doc, 'GET', '/api/v1/users', res);
});

test('rate-limit headers are documented only on answers the limiter saw', async (t) => {
  const h = await startHarness(t);
  const doc = await spec(h);
  const { op } = operation(doc, 'POST', '/api/v1/events');
  const limited = (status: string) =>
    Object.keys(op.responses[status].headers ?? {}).includes('x-ratelimit-limit');
  for (const status of ['401', '403', '408', '431'])
    assert.equal(limited(status), false, `${status} is answered before the limiter`);
  for (const status of ['202', '400', '429', '503']) assert.equal(limited(status), true, status);
  const header = op.responses['503'].headers?.['x-ratelimit-limit'] as { description: string };
  assert.match(header.description, /not on 50303, 50304/);
  // And a real 401 carries none.
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/events' });
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['x-ratelimit-limit'], undefined);
});
