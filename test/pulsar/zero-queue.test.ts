// receiverQueueSize 0, as the Java client's ZeroQueueConsumer: nothing is prefetched, a
// permit goes to the broker only while a receive() (or the listener) waits for a message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError, type Message } from '../../src/pulsar/index.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { clientFor, freshTopic, partitionedTopicFor, receiveN, text } from './client-fixture.js';

const payloads = (ms: Message[]) => ms.map(text);

test('a zero-queue consumer receives one message per receive() and prefetches none', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('zero-queue');
  const zero = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    receiverQueueSize: 0,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  for (const m of ['m0', 'm1', 'm2']) await producer.send({ data: Buffer.from(m) });
  const first = await zero.receive(10_000);
  assert.equal(text(first), 'm0');
  await zero.acknowledge(first);
  // The zero-queue consumer holds no permit now: the broker gives the rest to a newcomer.
  const other = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared' });
  const rest = await receiveN(other, 2);
  assert.deepEqual(payloads(rest), ['m1', 'm2']);
  for (const m of rest) await other.acknowledge(m);
  await producer.send({ data: Buffer.from('m3') });
  await producer.send({ data: Buffer.from('m4') });
  await other.close();
  const more = await receiveN(zero, 2);
  assert.deepEqual(payloads(more), ['m3', 'm4']);
});

test('a zero-queue receive that timed out leaves its message for the next receive', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('zero-queue-timeout');
  const zero = await client.subscribe({ topic, subscription: 's', receiverQueueSize: 0 });
  await assert.rejects(zero.receive(300), (e: PulsarClientError) => e.result === 'Timeout');
  const producer = await client.createProducer({ topic });
  await producer.send({ data: Buffer.from('late') });
  await producer.send({ data: Buffer.from('later') });
  assert.deepEqual(payloads(await receiveN(zero, 2)), ['late', 'later']);
});

test('a zero-queue consumer with a listener gets every message', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('zero-queue-listener');
  const got: string[] = [];
  await client.subscribe({
    topic,
    subscription: 's',
    receiverQueueSize: 0,
    listener: async (m, c) => {
      got.push(text(m));
      await c.acknowledge(m);
    },
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  for (let i = 0; i < 5; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  const until = Date.now() + 10_000;
  while (got.length < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
});

test('a negative or fractional receiverQueueSize is refused with InvalidConfiguration', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('zero-queue-bad');
  for (const receiverQueueSize of [-5, 1.5, Number.NaN]) {
    await assert.rejects(
      client.subscribe({ topic, subscription: 's', receiverQueueSize }),
      (e: PulsarClientError) =>
        e.result === 'InvalidConfiguration' && e.message.includes('receiverQueueSize'),
    );
  }
});

test('a PartitionedConsumer refuses receiverQueueSize 0 before subscribing', async (t) => {
  const { client, topic, admin } = await partitionedTopicFor(t, 'zero-queue-partitioned', 2);
  await assert.rejects(
    PartitionedConsumer.subscribe(client, [topic], { subscription: 's', receiverQueueSize: 0 }),
    (e: PulsarClientError) =>
      e.result === 'InvalidConfiguration' && e.message.includes('receiverQueueSize 0'),
  );
  assert.deepEqual(await admin.listSubscriptions(`${topic}-partition-0`), []);
});
