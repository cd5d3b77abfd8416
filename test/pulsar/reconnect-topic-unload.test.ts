import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { PulsarClient, type Message } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

test('after a topic unload (broker-initiated close) producer and consumer come back on their own', async (t) => {
  const env = await ensurePulsar();
  const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
  const client = new PulsarClient({ serviceUrl: env.serviceUrl, maxBackoffIntervalMs: 1000 });
  t.after(() => client.close());
  const topic = freshTopic('unload');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  const events: string[] = [];
  producer.on('disconnected', () => events.push('producer disconnected'));
  producer.on('reconnected', () => events.push('producer reconnected'));
  consumer.on('disconnected', () => events.push('consumer disconnected'));
  consumer.on('reconnected', () => events.push('consumer reconnected'));

  await producer.send({ data: Buffer.from('before') });
  const first = await consumer.receive(10_000);
  await consumer.acknowledge(first);
  const lastBefore = producer.getLastSequenceId();

  await admin.unloadTopic(topic);
  // Sends made while the producer is away wait for it instead of failing.
  const during = producer.send({ data: Buffer.from('during') });
  const got: Message[] = [];
  got.push(await consumer.receive(30_000));
  await during;
  await producer.send({ data: Buffer.from('after') });
  got.push(await consumer.receive(30_000));

  assert.deepEqual(
    got.map((m) => m.getData().toString()),
    ['during', 'after'],
  );
  assert.equal(producer.getLastSequenceId(), lastBefore + 2n);
  assert.ok(producer.isConnected() && consumer.isConnected());
  for (const e of [
    'producer disconnected',
    'producer reconnected',
    'consumer disconnected',
    'consumer reconnected',
  ]) {
    assert.ok(events.includes(e), `missing event: ${e} (got ${events.join(', ')})`);
  }
});
