import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import { createSigner } from 'fast-jwt';
import { bearer, startHarness, TEST_SECRET } from '../app/app-harness.js';
import { bodyOf, rawHttp as raw } from './raw-http.js';
import { clientErrorHandler } from '../../src/http/error-handler.js';

test('errors of the HTTP parser get the envelope and a request id', async (t) => {
  const h = await startHarness(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as { port: number }).port;

  const badLength = await raw(
    port,
    'POST /api/v1/users HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
  );
  assert.match(badLength, /^HTTP\/1\.1 400 /);
  assert.match(badLength, /\r\nx-request-id: [0-9a-f-]{36}\r\n/);
  assert.deepEqual(bodyOf(badLength), {
    code: 40003,
    message: 'Bad request',
    data: { reason: 'Bad Request' },
  });

  const huge = await raw(
    port,
    `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.equal((bodyOf(huge) as { code: number }).code, 43101);
});

test('a request Content-Encoding the server cannot decode is a 415, not a 400', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: {
      'content-type': 'application/json',
      'content-encoding': 'zstd',
      ...bearer(h.token(['users:write'])),
    },
    payload: '{"name":"Al","email":"al@example.com"}',
  });
  assert.equal(res.statusCode, 415);
  assert.equal(res.json().code, 41501);
});

test('CORS: a preflight allows DELETE, and answers expose the API headers', async (t) => {
  const h = await startHarness(t);
  const pre = await h.app.inject({
    method: 'OPTIONS',
    url: '/api/v1/admin/dlq',
    headers: { origin: 'https://ops.example', 'access-control-request-method': 'DELETE' },
  });
  assert.equal(pre.statusCode, 204);
  assert.match(String(pre.headers['access-control-allow-methods']), /DELETE/);
  const res = await h.app.inject({
    url: '/api/v1/users',
    headers: { origin: 'https://ops.example' },
  });
  const exposed = String(res.headers['access-control-expose-headers']);
  for (const name of ['x-request-id', 'retry-after', 'x-ratelimit-remaining', 'location'])
    assert.match(exposed, new RegExp(name));
});

test('a signed token whose scope is not a string is refused, not a 500', async (t) => {
  const h = await startHarness(t);
  const sign = createSigner({ key: TEST_SECRET, expiresIn: 60_000 });
  const res = await h.app.inject({
    url: '/api/v1/admin/topics',
    headers: bearer(sign({ sub: 'x', scope: ['admin'] })),
  });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().code, 40102);
});

test('a request timeout reported by the HTTP server is answered 408 with the envelope', async (t) => {
  // Node reports it through the same clientError path, after requestTimeout (checked every
  // 30 s by default); the handler is driven directly over a real socket pair.
  const received: Buffer[] = [];
  const server = createServer((peer) => peer.on('data', (c: Buffer) => received.push(c)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(socket, 'connect');
  const err = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
  clientErrorHandler(err, socket);
  await once(socket, 'close');
  await new Promise((r) => setTimeout(r, 50));
  const answer = Buffer.concat(received).toString('utf8');
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.equal((bodyOf(answer) as { code: number }).code, 40801);
});
