// Our client over TLS with a custom CA, end to end to the real broker. The shared standalone
// has no TLS port, so a TLS-terminating proxy of the test's own (the certificate of a
// throwaway CA) sits in front of it, as a TLS proxy would in a deployment. The broker's own
// TLS port is exercised in auth-tls-standalone.test.ts.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { PulsarClient, tlsTransport, type TransportFactory } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';
import { makeTestPki } from './tls-certs.js';

const pki = makeTestPki();
test.after(() => pki.cleanup());

/** TLS in front, plain TCP to the broker behind; counts the connections it carried. */
async function tlsProxy(t: { after(fn: () => void): void }, brokerPort: number) {
  let carried = 0;
  const server = tls.createServer({ cert: pki.serverCert, key: pki.serverKey }, (front) => {
    carried++;
    const back = net.connect(brokerPort, '127.0.0.1');
    front.pipe(back).pipe(front);
    const end = () => {
      front.destroy();
      back.destroy();
    };
    front.on('error', end).on('close', end);
    back.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { port: (server.address() as AddressInfo).port, carried: () => carried };
}

/** Every connection (service URL and looked-up broker) goes through the TLS proxy. */
function viaProxy(port: number, transport: TransportFactory): TransportFactory {
  return (_target, timeoutMs) =>
    transport({ host: 'localhost', port, url: `pulsar+ssl://localhost:${port}` }, timeoutMs);
}

test('produce and consume over TLS with a custom CA', async (t) => {
  const env = await ensurePulsar();
  const proxy = await tlsProxy(t, env.brokerPort);
  const client = new PulsarClient({
    serviceUrl: `pulsar+ssl://localhost:${proxy.port}`,
    transport: viaProxy(proxy.port, tlsTransport({ ca: pki.caPem })),
  });
  t.after(() => client.close());
  const topic = freshTopic('tls');
  const consumer = await client.subscribe({ topic, subscription: 's' });
  const producer = await client.createProducer({ topic });
  await producer.send({ data: Buffer.from('over tls'), properties: { a: 'b' } });
  const m = await consumer.receive(10_000);
  assert.equal(m.getData().toString(), 'over tls');
  assert.deepEqual(m.getProperties(), { a: 'b' });
  assert.ok(proxy.carried() >= 1);
});

test('a broker certificate from an unknown CA is refused', async (t) => {
  const env = await ensurePulsar();
  const proxy = await tlsProxy(t, env.brokerPort);
  const client = new PulsarClient({
    serviceUrl: `pulsar+ssl://localhost:${proxy.port}`,
    transport: viaProxy(proxy.port, tlsTransport({ ca: pki.otherCaPem })),
    connectionTimeoutMs: 5000,
  });
  t.after(() => client.close());
  await assert.rejects(client.createProducer({ topic: freshTopic('tls-refused') }), {
    name: 'PulsarClientError',
    result: 'ConnectError',
  });
});

test('a pulsar+ssl:// service URL turns TLS on by default (Node trusted CAs)', async (t) => {
  const env = await ensurePulsar();
  const proxy = await tlsProxy(t, env.brokerPort);
  const client = new PulsarClient({
    serviceUrl: `pulsar+ssl://localhost:${proxy.port}`,
    connectionTimeoutMs: 5000,
  });
  t.after(() => client.close());
  assert.equal(client.options.useTls, true);
  // The throwaway CA is not among Node's roots, so the default transport refuses the proxy:
  // proof that it spoke TLS and checked the certificate.
  await assert.rejects(client.getPartitionCount(freshTopic('tls-default')), (err: unknown) => {
    const e = err as { result?: string; cause?: { code?: string } };
    assert.equal(e.result, 'ConnectError');
    assert.match(String(e.cause?.code), /CERT|SIGNATURE|ISSUER/);
    return true;
  });
});
