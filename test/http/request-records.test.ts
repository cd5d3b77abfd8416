import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, startHarness, type Harness } from '../app/app-harness.js';
import { ROUTES } from '../../src/app/routes/index.js';
import { slowRoute } from './raw-http.js';

const lines = (h: Harness, msg: RegExp) =>
  h.logs.filter((l) => typeof l.msg === 'string' && msg.test(l.msg));

async function metric(h: Harness, pattern: RegExp): Promise<string | undefined> {
  const text = (await h.app.inject({ url: '/metrics' })).body;
  return text.split('\n').find((l) => pattern.test(l));
}

test('one log line per request, when it ends: method, path without the query, route, status, code', async (t) => {
  const h = await startHarness(t);
  const auth = bearer(h.token(['users:write']));
  await h.app.inject({ url: '/api/v1/users?limit=1', headers: auth });
  await h.app.inject({ url: '/api/v1/users/nobody?token=SECRET-2', headers: auth });
  await h.app.inject({ url: '/healthz' });
  assert.deepEqual(lines(h, /incoming request/), []);
  const done = lines(h, /^request completed$/);
  assert.equal(done.length, 2, JSON.stringify(done));
  const fields = (l: Record<string, unknown>) => [l.method, l.url, l.route, l.statusCode];
  assert.deepEqual(fields(done[0]), ['GET', '/api/v1/users', '/api/v1/users', 200]);
  assert.equal(done[0].code, undefined);
  assert.equal(typeof done[0].responseTime, 'number');
  assert.equal(typeof done[0].requestId, 'string');
  assert.deepEqual(fields(done[1]), ['GET', '/api/v1/users/nobody', '/api/v1/users/:id', 400]);
  assert.equal(done[1].code, 40001);
  assert.ok(!JSON.stringify(h.logs).includes('SECRET'), 'no query string is logged');
});

for (const [method, body] of [
  ['GET', ''],
  ['POST', '{"a":1}'],
] as const) {
  test(`a ${method} whose client leaves before the answer is counted and logged as 499`, async (t) => {
    const slow = slowRoute();
    const h = await startHarness(t, { routes: [...ROUTES, slow.route] });
    const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    await once(socket, 'connect');
    const head = body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '';
    socket.write(
      `${method} /api/v1/slow HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-1\r\n${head}\r\n${body}`,
    );
    await slow.entered;
    socket.destroy();
    await sleep(600);
    const aborted = lines(h, /aborted by the client/);
    assert.equal(aborted.length, 1, JSON.stringify(h.logs));
    assert.equal(aborted[0].requestId, 'gone-1');
    assert.equal(aborted[0].route, '/api/v1/slow');
    assert.equal(aborted[0].statusCode, 499);
    assert.deepEqual(lines(h, /^request completed$/), []);
    assert.match(
      (await metric(
        h,
        new RegExp(`^magnetar_http_requests_total\\{method="${method}",route="/api/v1/slow"`),
      )) ?? '',
      /status="499"\} 1$/,
    );
  });
}

test('requests answered before routing (a malformed URL, an over-long parameter) are recorded too', async (t) => {
  const h = await startHarness(t);
  for (const url of ['/api/v1/users/%E0%A4%A', `/api/v1/users/${'a'.repeat(1100)}`]) {
    const res = await h.app.inject({ url, headers: { 'x-request-id': 'early-1' } });
    assert.equal(res.statusCode, 400);
  }
  const done = lines(h, /^request completed$/).filter((l) => l.requestId === 'early-1');
  assert.equal(done.length, 2, JSON.stringify(h.logs));
  for (const l of done) {
    assert.equal(l.statusCode, 400);
    assert.equal(l.code, 40003);
    assert.ok(String(l.url).length < 1200);
  }
  assert.match(
    (await metric(
      h,
      /^magnetar_http_requests_total\{method="GET",route="unmatched",status="400"/,
    )) ?? '',
    /\} 2$/,
  );
});

test('a body that stalls past the request timeout: 408 with the request id, counted and logged once', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_REQUEST_TIMEOUT_MS: '1000' } });
  const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  await once(socket, 'connect');
  let raw = '';
  socket.on('data', (c: Buffer) => (raw += c.toString()));
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Request-Id: slow-client-1\r\n` +
      `Authorization: Bearer ${h.token(['users:write'])}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name"',
  );
  await once(socket, 'close');
  assert.match(raw, /^HTTP\/1\.1 408 /, raw);
  assert.match(raw, /\r\nx-request-id: slow-client-1\r\n/i);
  await sleep(100);
  const records = h.logs.filter((l) => l.requestId === 'slow-client-1');
  assert.equal(records.length, 1, JSON.stringify(records));
  assert.equal(records[0].statusCode, 408);
  assert.equal(records[0].code, 40801);
  assert.match(
    (await metric(h, /^magnetar_http_requests_total\{method="POST",route="\/api\/v1\/users"/)) ??
      '',
    /status="408"\} 1$/,
  );
});
