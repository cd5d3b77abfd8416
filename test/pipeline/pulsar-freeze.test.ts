import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { tcpTransport, type TransportFactory } from '../../src/pulsar/transport.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

/**
 * TCP relays in front of every broker the client connects to, which can stop forwarding
 * both ways while keeping every connection open: to the client, a frozen broker process
 * (its kernel still holds the connection and buffers the bytes). Thawing forwards what waited.
 */
function freezableRelays() {
  const relays = new Map<string, Promise<Server>>();
  const sockets = new Set<Socket>();
  let frozen = false;
  let accepted = 0;
  const forward = (from: Socket, to: Socket) => from.on('data', (d) => to.write(d));
  const open = (host: string, port: number) =>
    new Promise<Server>((resolve) => {
      const server = createServer((client) => {
        accepted++;
        const upstream = connect(port, host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => {
            sockets.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
        forward(client, upstream);
        forward(upstream, client);
        if (frozen) for (const s of [client, upstream]) s.pause();
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const transport: TransportFactory = async (target, timeoutMs) => {
    const key = `${target.host}:${target.port}`;
    let relay = relays.get(key);
    if (!relay) relays.set(key, (relay = open(target.host, target.port)));
    const { port } = (await relay).address() as AddressInfo;
    return tcpTransport({ host: '127.0.0.1', port, url: target.url }, timeoutMs);
  };
  return {
    transport,
    get accepted() {
      return accepted;
    },
    freeze() {
      frozen = true;
      for (const s of sockets) s.pause();
    },
    thaw() {
      frozen = false;
      for (const s of sockets) s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      for (const relay of relays.values()) {
        const server = await relay;
        await new Promise((r) => server.close(r));
      }
    },
  };
}

test('on a real Pulsar standalone: a broker that stops answering turns readiness 503 and publishes are refused at once, until it answers again', async (t) => {
  const env = await ensurePulsar();
  const relays = freezableRelays();
  // Hooks run in the order added: thaw before the service shuts down (its producers close
  // on the broker), close the relays after.
  t.after(() => relays.thaw());
  const broker = await createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    client: { transport: relays.transport },
  });
  const s = await startServiceUnderTest(
    t,
    // The API alone: no consumers that could take other tests' events off the shared topics.
    { broker, role: 'api', publisher: { producer: { sendTimeoutMs: 1500 } } },
    {
      MAGNETAR_BROKER: 'pulsar',
      PULSAR_SERVICE_URL: env.serviceUrl,
      PULSAR_ADMIN_URL: env.adminUrl,
    },
  );
  t.after(() => relays.close());
  const user = `frozen-${randomBytes(4).toString('hex')}`;
  const event = (itemId: string) => ({ type: 'item.viewed', userId: user, itemId });
  assert.equal((await s.request('POST', '/api/v1/events', event('before'))).status, 202);
  assert.equal((await s.request('GET', '/readyz')).status, 200);
  const connections = relays.accepted;

  relays.freeze();
  // The first publish can only find out by waiting for its receipt, up to the send timeout.
  const waited = await s.request('POST', '/api/v1/events', event('during'));
  assert.equal(waited.status, 503, JSON.stringify(waited.body));
  // From then on the broker counts as unavailable until it answers a PING.
  const ready = await eventually(
    () => s.request('GET', '/readyz'),
    (r) => r.status === 503,
    1500,
  );
  assert.equal(ready.body.checks.broker.ok, false, JSON.stringify(ready.body));
  assert.match(ready.body.checks.broker.detail, /^broker not answering since \d{4}-/);
  const started = Date.now();
  const refused = await s.request('POST', '/api/v1/events', event('refused'));
  assert.equal(refused.status, 503);
  assert.equal(refused.body.code, 50301);
  assert.ok(refused.headers.get('retry-after'));
  assert.ok(Date.now() - started < 500, `refused at once, took ${Date.now() - started} ms`);

  relays.thaw();
  await eventually(
    () => s.request('GET', '/readyz'),
    (r) => r.status === 200,
    5000,
  );
  assert.equal((await s.request('POST', '/api/v1/events', event('after'))).status, 202);
  assert.equal(relays.accepted, connections, 'the same connections carried on');
});
