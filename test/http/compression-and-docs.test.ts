import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { bearer, startHarness, type Harness } from '../app/app-harness.js';

async function seedUsers(h: Harness, n: number): Promise<void> {
  const headers = bearer(h.token(['users:write']));
  for (let i = 0; i < n; i++) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers,
      payload: { name: `Person number ${i}`, email: `person${i}@example.com`, age: i % 100 },
    });
    assert.equal(res.statusCode, 201);
  }
}

test('a large response is compressed with br or gzip as negotiated', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_RATE_LIMIT_MAX: '0' } });
  await seedUsers(h, 100);
  const url = '/api/v1/users?limit=100';
  const plain = await h.app.inject({ url, headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(plain.rawPayload.length > 10_000, `${plain.rawPayload.length} bytes`);
  const expected = plain.json();
  assert.equal(expected.data.items.length, 100);

  const br = await h.app.inject({ url, headers: { 'accept-encoding': 'br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.ok(br.rawPayload.length < plain.rawPayload.length / 3);
  assert.deepEqual(JSON.parse(brotliDecompressSync(br.rawPayload).toString()), expected);

  const gzip = await h.app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.deepEqual(JSON.parse(gunzipSync(gzip.rawPayload).toString()), expected);

  // The client's preference wins; br is preferred when both are equally welcome.
  const prefersGzip = await h.app.inject({
    url,
    headers: { 'accept-encoding': 'br;q=0.5, gzip;q=1' },
  });
  assert.equal(prefersGzip.headers['content-encoding'], 'gzip');
  const either = await h.app.inject({ url, headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(either.headers['content-encoding'], 'br');
  assert.match(String(either.headers.vary), /accept-encoding/i);

  // Small responses are not worth compressing.
  const small = await h.app.inject({ url: '/healthz', headers: { 'accept-encoding': 'br' } });
  assert.equal(small.headers['content-encoding'], undefined);
});

test('/metrics counts requests by method, route pattern and status', async (t) => {
  const h = await startHarness(t);
  await seedUsers(h, 1);
  await h.app.inject({ url: '/api/v1/users/missing' });
  await h.app.inject({ url: '/api/v1/users/missing-too' });
  await h.app.inject({ url: '/definitely/not/here' });
  const res = await h.app.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const text = res.body;
  assert.match(
    text,
    /magnetar_http_requests_total\{method="POST",route="\/api\/v1\/users",status="201"\} 1/,
  );
  assert.match(
    text,
    /magnetar_http_requests_total\{method="GET",route="\/api\/v1\/users\/:id",status="404"\} 2/,
  );
  assert.match(text, /route="unmatched",status="404"\} 1/);
  assert.match(text, /magnetar_http_request_duration_seconds_bucket\{le="0.005",method="POST"/);
  assert.match(text, /magnetar_process_cpu_user_seconds_total/);
  assert.match(text, /magnetar_nodejs_eventloop_lag_seconds/);
});

test('/openapi.json describes the users API and /docs serves Swagger UI', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({ url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const spec = res.json();
  assert.equal(spec.openapi, '3.1.0');
  const create = spec.paths['/api/v1/users'].post;
  assert.deepEqual(create.security, [{ bearerAuth: [] }]);
  const body = create.requestBody.content['application/json'].schema;
  assert.deepEqual(body.required, ['name', 'email']);
  assert.equal(body.additionalProperties, false);
  assert.ok(create.responses['201']);
  assert.ok(create.responses['409']);
  assert.ok(spec.paths['/api/v1/users/{id}'].get);
  assert.ok(spec.paths['/healthz'].get);
  assert.equal(spec.paths['/metrics'], undefined);

  const docs = await h.app.inject({ url: '/docs' });
  assert.equal(docs.statusCode, 200);
  assert.match(docs.body, /swagger/i);
});

test('/healthz is always ok; /readyz is 503 until every check passes', async (t) => {
  const h = await startHarness(t);
  let brokerUp = false;
  h.deps.readiness.add('broker', () =>
    brokerUp ? { ok: true } : { ok: false, detail: 'connecting' },
  );
  h.deps.readiness.add('consumers', async () => {
    throw new Error('consumer crashed');
  });
  assert.deepEqual((await h.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
  const down = await h.app.inject({ url: '/readyz' });
  assert.equal(down.statusCode, 503);
  assert.deepEqual(down.json(), {
    status: 'not_ready',
    checks: {
      broker: { ok: false, detail: 'connecting' },
      consumers: { ok: false, detail: 'consumer crashed' },
    },
  });
  brokerUp = true;
  const partly = await h.app.inject({ url: '/readyz' });
  assert.equal(partly.statusCode, 503);
  assert.deepEqual(partly.json().checks.broker, { ok: true });
});
