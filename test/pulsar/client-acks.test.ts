import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { clientFor, drainFor, freshTopic, receiveN, text } from './client-fixture.js';

test('negative ack redelivers after the delay with an incremented redelivery count', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-nack');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    nAckRedeliverTimeoutMs: 1000,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  await producer.send({ data: Buffer.from('poison') });
  await producer.send({ data: Buffer.from('fine') });
  const first = await receiveN(consumer, 2);
  const poison = first.find((m) => text(m) === 'poison')!;
  await consumer.acknowledge(first.find((m) => text(m) === 'fine')!);
  const nackedAt = Date.now();
  consumer.negativeAcknowledge(poison);
  const again = await consumer.receive(10_000);
  assert.equal(text(again), 'poison');
  assert.equal(again.getRedeliveryCount(), 1);
  assert.ok(Date.now() - nackedAt >= 900, `redelivered after ${Date.now() - nackedAt} ms`);
  consumer.negativeAcknowledge(again);
  const third = await consumer.receive(10_000);
  assert.equal(third.getRedeliveryCount(), 2);
  await consumer.acknowledge(third);
  assert.deepEqual(await drainFor(consumer, 1500), []);
});

test('negative ack of a batched message redelivers it', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-nack-batch');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    nAckRedeliverTimeoutMs: 500,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: true });
  await Promise.all(['a', 'b', 'c'].map((x) => producer.send({ data: Buffer.from(x) })));
  const got = await receiveN(consumer, 3);
  await consumer.acknowledge(got[0]);
  consumer.negativeAcknowledge(got[1]);
  await consumer.acknowledge(got[2]);
  const again = await drainFor(consumer, 2500);
  assert.ok(
    again.some((m) => text(m) === 'b' && m.getRedeliveryCount() === 1),
    again.map(text).join(),
  );
});

test('ack timeout redelivers what was received but not acked', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-timeout');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    ackTimeoutMs: 1000,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  await producer.send({ data: Buffer.from('acked') });
  await producer.send({ data: Buffer.from('forgotten') });
  const got = await receiveN(consumer, 2);
  await consumer.acknowledge(got.find((m) => text(m) === 'acked')!);
  const again = await consumer.receive(10_000);
  assert.equal(text(again), 'forgotten');
  assert.equal(again.getRedeliveryCount(), 1);
  await consumer.acknowledge(again);
  assert.deepEqual(await drainFor(consumer, 2000), []);
});

test('cumulative ack acks everything up to the message, across a reconnect', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-cumulative');
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  const c1 = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Exclusive' });
  for (let i = 0; i < 10; i++) await producer.send({ data: Buffer.from(`${i}`) });
  const got = await receiveN(c1, 10);
  await c1.acknowledgeCumulative(got[6]);
  await c1.close();
  const c2 = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Exclusive' });
  const rest = await receiveN(c2, 3);
  assert.deepEqual(rest.map(text), ['7', '8', '9']);
  assert.deepEqual(await drainFor(c2, 1000), []);
});

test('cumulative ack is refused on a Shared subscription', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-cumulative-shared');
  const c = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared' });
  const producer = await client.createProducer({ topic });
  await producer.send({ data: Buffer.from('x') });
  const m = await c.receive(10_000);
  await assert.rejects(
    c.acknowledgeCumulative(m),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'InvalidConfiguration',
  );
});

test('a batch is acked on the broker only when all its messages are', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-batch');
  const producer = await client.createProducer({ topic, batchingEnabled: true });
  const c1 = await client.subscribe({ topic, subscription: 's' });
  await Promise.all(['a', 'b', 'c'].map((x) => producer.send({ data: Buffer.from(x) })));
  const got = await receiveN(c1, 3);
  assert.deepEqual(
    got.map((m) => m.getMessageId().batchIndex),
    [0, 1, 2],
  );
  await c1.acknowledge(got[0]);
  await c1.acknowledge(got[1]);
  await c1.close();
  // Entry not acked: the whole batch comes again.
  const c2 = await client.subscribe({ topic, subscription: 's' });
  const again = await receiveN(c2, 3);
  for (const m of again) await c2.acknowledge(m);
  await c2.close();
  const c3 = await client.subscribe({ topic, subscription: 's' });
  assert.deepEqual(await drainFor(c3, 1000), []);
});

test('unsubscribe removes the subscription', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-unsub');
  const producer = await client.createProducer({ topic });
  const c1 = await client.subscribe({ topic, subscription: 's' });
  await producer.send({ data: Buffer.from('before') });
  await c1.unsubscribe();
  await assert.rejects(
    c1.receive(100),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'AlreadyClosed',
  );
  // A new subscription starts at Latest: the old backlog is gone with the old cursor.
  const c2 = await client.subscribe({ topic, subscription: 's' });
  await producer.send({ data: Buffer.from('after') });
  assert.deepEqual((await receiveN(c2, 1)).map(text), ['after']);
});

test('on an Exclusive subscription a nack rewinds to every unacked message', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('ack-nack-exclusive');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Exclusive',
    nAckRedeliverTimeoutMs: 300,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  for (const x of ['a', 'b', 'c']) await producer.send({ data: Buffer.from(x) });
  const [a, b] = await receiveN(consumer, 3);
  await consumer.acknowledge(a);
  consumer.negativeAcknowledge(b);
  // Exclusive and Failover cannot redeliver one message: b and the unacked c come again.
  const again = await receiveN(consumer, 2);
  assert.deepEqual(again.map(text), ['b', 'c']);
  for (const m of again) await consumer.acknowledge(m);
  assert.deepEqual(await drainFor(consumer, 1000), []);
});
