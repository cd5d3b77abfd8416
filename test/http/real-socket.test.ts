import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, startHarness } from '../app/app-harness.js';
import { ROUTES } from '../../src/app/routes/index.js';
import { startService } from '../../src/app/service.js';
import { loadConfig } from '../../src/config/index.js';
import { signToken } from '../../src/http/tokens.js';
import { idleKeepAlive, slowRoute } from './raw-http.js';

test('the service over a real socket: create, read, list, then shut down', async (t) => {
  const { svc } = await startRealService(t, { MAGNETAR_JWT_SECRET: 's'.repeat(40) });
  assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const token = signToken('s'.repeat(40), {
    subject: 'it',
    scopes: ['users:write'],
    ttlMs: 60_000,
  });

  const created = await fetch(`${svc.url}/api/v1/users`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json', 'x-request-id': 'sock-1' },
    body: JSON.stringify({ name: 'Sock', email: 'sock@example.com', age: 7 }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('x-request-id'), 'sock-1');
  const { data: user } = (await created.json()) as { data: { id: string } };

  const read = await fetch(`${svc.url}/api/v1/users/${user.id}`);
  assert.equal(read.status, 200);
  assert.equal(((await read.json()) as { data: { email: string } }).data.email, 'sock@example.com');

  const list = await fetch(`${svc.url}/api/v1/users?limit=10`, {
    headers: { 'accept-encoding': 'gzip' },
  });
  assert.equal(list.status, 200);
  assert.equal(((await list.json()) as { data: { items: unknown[] } }).data.items.length, 1);

  const ready = await fetch(`${svc.url}/readyz`);
  assert.equal(ready.status, 200);

  const outcome = await svc.shutdown.run('test');
  assert.deepEqual(outcome, { clean: true, failed: [] });
  assert.equal(svc.db.open, false);
  await assert.rejects(fetch(`${svc.url}/healthz`));
});

test('close() lets an in-flight request finish and refuses new connections', async (t) => {
  const slow = slowRoute();
  const h = await startHarness(t, { routes: [...ROUTES, slow.route] });
  const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const inFlight = fetch(`${url}/api/v1/slow`);
  await slow.entered;
  const closing = h.app.close();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { code: 0, message: 'ok', data: 'done' });
  await closing;
  await assert.rejects(fetch(`${url}/healthz`));
});

test('responses during shutdown close their connection; pipelined requests are not started', async (t) => {
  const slow = slowRoute();
  const h = await startHarness(t, { routes: [...ROUTES, slow.route] });
  const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  let raw = '';
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
  });
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  socket.write('GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await slow.entered;
  const closing = h.app.close();
  await sleep(50);
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await closed;
  await closing;
  assert.equal(raw.match(/HTTP\/1\.1 /g)?.length, 1);
  assert.match(raw, /HTTP\/1\.1 200/);
  assert.match(raw, /connection: close/i);
});

// /readyz too: its own 503 body has another schema, which the envelope must not be held to.
for (const path of ['/api/v1/users', '/readyz'])
  test(`a request that completes its headers while closing gets a 503 SHUTTING_DOWN envelope (${path})`, async (t) => {
    const slow = slowRoute();
    const h = await startHarness(t, { routes: [...ROUTES, slow.route] });
    const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
    const open = async () => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      await once(socket, 'connect');
      let raw = '';
      socket.on('data', (chunk: Buffer) => {
        raw += chunk.toString();
      });
      const closed = once(socket, 'close').then(() => raw);
      return { socket, closed };
    };
    // A keeps the server busy; B has sent half a request when the shutdown starts.
    const a = await open();
    a.socket.write('GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await slow.entered;
    const b = await open();
    b.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n`);
    await sleep(50);
    const closing = h.app.close();
    await sleep(50);
    b.socket.write('\r\n');
    const rawB = await b.closed;
    assert.match(rawB, /HTTP\/1\.1 503/);
    assert.match(rawB, /"code":50303/);
    assert.match(rawB, /retry-after: 5/i);
    assert.match(await a.closed, /HTTP\/1\.1 200/);
    await closing;
  });

test('a keep-alive connection idle when the shutdown starts gets a 503 for its next request, not a reset', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_SHUTDOWN_DRAIN_MS: '5000' } });
  const url = new URL(await h.app.listen({ port: 0, host: '127.0.0.1' }));
  const conn = await idleKeepAlive(url);
  // The connection is idle now; the client sends its next request just after close() began.
  const closing = h.app.close();
  await sleep(100);
  conn.socket.write('GET /api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n');
  const raw = await conn.closed;
  await closing;
  assert.equal(raw.match(/HTTP\/1\.1 /g)?.length, 2, raw);
  assert.match(raw, /HTTP\/1\.1 503/);
  assert.match(raw, /"code":50303/);
  assert.match(raw, /connection: close/i);
});

/** The whole service (startService) on a fresh data dir and a free port, shut down at the end. */
async function startRealService(t: TestContext, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-svc-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MAGNETAR_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const svc = await startService(config, { handleSignals: false });
  t.after(() => svc.shutdown.run('test end'));
  return { svc, url: new URL(svc.url) };
}

test('shutdown cuts a request that outlives MAGNETAR_SHUTDOWN_TIMEOUT_MS and still closes cleanly', async (t) => {
  const { svc, url } = await startRealService(t, { MAGNETAR_SHUTDOWN_TIMEOUT_MS: '300' });
  // A client that announces a body and never finishes sending it keeps its connection busy.
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  await once(socket, 'connect');
  // Drain what the server sends (its early 401), so the socket can see the end and close.
  socket.resume();
  const closed = once(socket, 'close');
  socket.write(
    'POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{"name":',
  );
  await sleep(100);
  const started = Date.now();
  const outcome = await svc.shutdown.run('test');
  const took = Date.now() - started;
  assert.deepEqual(outcome, { clean: true, failed: [] });
  assert.ok(took >= 250 && took < 3000, `shutdown took ${took} ms`);
  await closed;
  assert.equal(svc.db.open, false);
});

test('the drain window comes before the shutdown timeout, however the two compare', async (t) => {
  const { svc, url } = await startRealService(t, {
    MAGNETAR_SHUTDOWN_TIMEOUT_MS: '300',
    MAGNETAR_SHUTDOWN_DRAIN_MS: '3000',
  });
  const conn = await idleKeepAlive(url);
  const outcome = svc.shutdown.run('test');
  // Past the 300 ms timeout, still inside the drain: the idle connection is still served.
  await sleep(800);
  conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const raw = await conn.closed;
  assert.deepEqual(await outcome, { clean: true, failed: [] });
  assert.equal(raw.match(/HTTP\/1\.1 /g)?.length, 2, raw);
  assert.match(raw, /HTTP\/1\.1 503[\s\S]*"code":50303/);
});

test('a request whose body or headers stall gets a 408 envelope and its connection closes', async (t) => {
  const secret = 's'.repeat(40);
  const { url } = await startRealService(t, {
    MAGNETAR_JWT_SECRET: secret,
    MAGNETAR_REQUEST_TIMEOUT_MS: '1000',
  });
  const token = signToken(secret, { subject: 'it', scopes: ['users:write'], ttlMs: 60_000 });
  const stalled = async (request: string) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    await once(socket, 'connect');
    let raw = '';
    socket.on('data', (c: Buffer) => (raw += c.toString()));
    socket.on('error', () => undefined);
    const started = Date.now();
    socket.write(request);
    const closed = once(socket, 'close');
    const timer = setTimeout(() => socket.destroy(), 10_000);
    await closed;
    clearTimeout(timer);
    return { raw, ms: Date.now() - started };
  };
  const body = await stalled(
    'POST /api/v1/users HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      'Content-Length: 100\r\n\r\n{"name"',
  );
  assert.match(body.raw, /^HTTP\/1\.1 408 /, body.raw);
  assert.match(body.raw, /"code":40801/);
  assert.ok(body.ms < 5000, `answered after ${body.ms} ms`);
  // Answered (401) before its body came: when the body times out, no second answer.
  const early = await stalled(
    'POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{"name"',
  );
  assert.match(early.raw, /^HTTP\/1\.1 401 /, early.raw);
  assert.equal(early.raw.match(/HTTP\/1\.1 /g)!.length, 1, early.raw);
  const headers = await stalled('GET /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  assert.match(headers.raw, /^HTTP\/1\.1 408 /, headers.raw);
  assert.ok(headers.ms < 5000, `answered after ${headers.ms} ms`);
});
