// A service URL listing several hosts: the client tries them in turn, as the Java client does.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { freshTopic, receiveN, text } from './client-fixture.js';

/** A loopback port nothing listens on (it was free a moment ago). */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('a host that refuses is skipped for the next one listed', async (t) => {
  const { brokerPort } = await ensurePulsar();
  const dead = await refusedPort();
  const client = new PulsarClient({
    serviceUrl: `pulsar://127.0.0.1:${dead},127.0.0.1:${brokerPort}`,
    operationTimeoutMs: 20_000,
  });
  t.after(() => client.close());
  const topic = freshTopic('multi-host');
  const consumer = await client.subscribe({ topic, subscription: 's' });
  const producer = await client.createProducer({ topic });
  await producer.send({ data: Buffer.from('through the second host') });
  assert.deepEqual((await receiveN(consumer, 1)).map(text), ['through the second host']);
  assert.equal(await client.getPartitionCount(topic), 0);

  // When no listed host answers, the connect error is what the caller sees.
  const [a, b] = [await refusedPort(), await refusedPort()];
  const none = new PulsarClient({ serviceUrl: `pulsar://127.0.0.1:${a},127.0.0.1:${b}` });
  t.after(() => none.close());
  await assert.rejects(
    none.createProducer({ topic: freshTopic('multi-host-none') }),
    (e: PulsarClientError) => e.result === 'ConnectError',
  );
});
