// Requests that are valid HTTP but odd: charsets, bytes that are not UTF-8, prototype keys,
// OPTIONS without Origin, a repeated Authorization header, HTTP/1.1 without Host.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { bearer, startHarness, type Harness } from '../app/app-harness.js';
import { bodyOf, rawHttp } from './raw-http.js';

const USERS = '/api/v1/users';

function postUser(h: Harness, contentType: string, payload: string | Buffer) {
  return h.app.inject({
    method: 'POST',
    url: USERS,
    headers: { 'content-type': contentType, ...bearer(h.token(['users:write'])) },
    payload,
  });
}

/** Sends raw bytes (the request must ask for Connection: close) and returns the answer. */
async function raw(port: number, request: string): Promise<{ head: string; body: unknown }> {
  const text = await rawHttp(port, request);
  return { head: text.slice(0, text.indexOf('\r\n\r\n')), body: bodyOf(text) };
}

async function listening(t: TestContext): Promise<{ h: Harness; port: number }> {
  const h = await startHarness(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return { h, port: (h.app.server.address() as { port: number }).port };
}

test('a JSON body in another charset is a 415, not text decoded as UTF-8', async (t) => {
  const h = await startHarness(t);
  const latin1 = Buffer.from('{"name":"Caf\xe9","email":"cafe@example.com"}', 'latin1');
  const refused = await postUser(h, 'application/json; charset=iso-8859-1', latin1);
  assert.equal(refused.statusCode, 415);
  assert.equal(refused.json().code, 41501);
  assert.match(refused.json().data.reason, /iso-8859-1/);
  assert.equal((await postUser(h, 'application/json; charset=bogus', '{}')).statusCode, 415);

  // UTF-8 under any of its names, quoted or not, is parsed as before.
  const body = (n: number) => JSON.stringify({ name: 'Café', email: `cafe${n}@example.com` });
  for (const [i, type] of [
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'Application/JSON; charset=utf8',
    'application/json',
  ].entries()) {
    const res = await postUser(h, type, body(i));
    assert.equal(res.statusCode, 201, type);
    assert.equal(res.json().data.name, 'Café');
  }
});

test('a body that is not valid UTF-8 is a 400, not stored with replacement characters', async (t) => {
  const h = await startHarness(t);
  const bytes = Buffer.from('{"name":"Caf\xe9","email":"cafe@example.com"}', 'latin1');
  const res = await postUser(h, 'application/json', bytes);
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), {
    code: 40002,
    message: 'Request body is not valid JSON',
    data: { reason: 'the body is not valid UTF-8' },
  });
  const list = await h.app.inject({ url: USERS });
  assert.deepEqual(list.json().data.items, []);
});

test('a __proto__ key is refused as a validation error naming it, not as invalid JSON', async (t) => {
  const h = await startHarness(t);
  const res = await postUser(
    h,
    'application/json',
    '{"name":"Al","email":"al@example.com","__proto__":{"admin":true}}',
  );
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 40001);
  assert.match(res.json().data.errors[0].message, /__proto__/);
  // Malformed JSON is still 40002.
  assert.equal((await postUser(h, 'application/json', '{"name":')).json().code, 40002);
});

test('OPTIONS without Origin is answered with the allowed methods, not a text/plain 400', async (t) => {
  const h = await startHarness(t);
  const res = await h.app.inject({ method: 'OPTIONS', url: '/api/v1/events' });
  assert.equal(res.statusCode, 204);
  assert.match(String(res.headers['access-control-allow-methods']), /POST/);
  assert.ok(res.headers['x-request-id']);
});

test('two Authorization headers are refused whichever comes first', async (t) => {
  const { h, port } = await listening(t);
  const good = `Bearer ${h.token(['admin'])}`;
  for (const pair of [
    [good, 'Bearer garbage'],
    ['Bearer garbage', good],
  ]) {
    const res = await raw(
      port,
      `GET /api/v1/admin/topics HTTP/1.1\r\nHost: x\r\nAuthorization: ${pair[0]}\r\n` +
        `authorization: ${pair[1]}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(res.head, /^HTTP\/1.1 401 /);
    assert.deepEqual(res.body, {
      code: 40102,
      message: 'Invalid bearer token',
      data: { reason: 'send one Authorization header' },
    });
  }
  const one = await raw(
    port,
    `GET /api/v1/admin/topics HTTP/1.1\r\nHost: x\r\nAuthorization: ${good}\r\nConnection: close\r\n\r\n`,
  );
  // Past authentication; this harness has no broker behind the admin routes.
  assert.equal((one.body as { code: number }).code, 50301);
});

test('an HTTP/1.1 request without Host gets the 400 envelope and a request id', async (t) => {
  const { port } = await listening(t);
  const res = await raw(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(res.head, /^HTTP\/1.1 400 /);
  assert.match(res.head, /x-request-id: \S+/i);
  assert.deepEqual(res.body, {
    code: 40003,
    message: 'Bad request',
    data: { reason: 'an HTTP/1.1 request needs a Host header' },
  });
  // HTTP/1.0 has no Host requirement.
  const old = await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
  assert.match(old.head, /^HTTP\/1.1 200 /);
});

test('a request with two Host headers gets the 400 envelope', async (t) => {
  const { port } = await listening(t);
  for (const version of ['1.1', '1.0']) {
    const res = await raw(
      port,
      `GET /healthz HTTP/${version}\r\nHost: a\r\nhost: b\r\nConnection: close\r\n\r\n`,
    );
    assert.match(res.head, /^HTTP\/1.1 400 /, version);
    assert.deepEqual(res.body, {
      code: 40003,
      message: 'Bad request',
      data: { reason: 'send one Host header' },
    });
  }
  const one = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(one.head, /^HTTP\/1.1 200 /);
});

test('a lone surrogate escape is refused with the field it is in; a pair is kept', async (t) => {
  const h = await startHarness(t);
  const res = await postUser(
    h,
    'application/json',
    '{"name":"Al\\ud800","email":"al@example.com"}',
  );
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json().data.errors, [
    { field: 'name', message: 'must be well-formed Unicode (no lone surrogate)' },
  ]);
  const pair = await postUser(
    h,
    'application/json',
    '{"name":"Al\\ud83d\\ude00","email":"al@example.com"}',
  );
  assert.equal(pair.statusCode, 201);
  assert.equal(pair.json().data.name, 'Al😀');
});

test('deeply nested JSON with a \\u escape is a validation error, not a 500', async (t) => {
  const h = await startHarness(t);
  const depth = 12_000;
  const body = `{"name":"Al\\u00e9","email":"al@example.com","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const res = await postUser(h, 'application/json', body);
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 40001);
});

test('a charset inside another parameter is not the charset', async (t) => {
  const h = await startHarness(t);
  const res = await postUser(
    h,
    'application/json; foo="x; charset=latin1"',
    JSON.stringify({ name: 'Café', email: 'quoted@example.com' }),
  );
  assert.equal(res.statusCode, 201);
  assert.equal(res.json().data.name, 'Café');
});

test('a known path with a method it does not take is a 405 with Allow, an unknown one a 404', async (t) => {
  const h = await startHarness(t);
  const put = await h.app.inject({ method: 'PUT', url: '/api/v1/users?limit=1' });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, POST');
  assert.deepEqual(put.json(), {
    code: 40501,
    message: 'Method not allowed on this route',
    data: { method: 'PUT', url: '/api/v1/users', allow: ['GET', 'HEAD', 'POST'] },
  });
  const patch = await h.app.inject({ method: 'PATCH', url: '/api/v1/users/u-1' });
  assert.equal(patch.statusCode, 405);
  assert.equal(patch.headers.allow, 'GET, HEAD');
  // A parameter is one path segment; anything else stays a 404.
  for (const url of ['/api/v1/users/a/b', '/api/v1/nothing', '/api/v1/users/']) {
    const res = await h.app.inject({ method: 'PUT', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json().code, 40401);
  }
});
