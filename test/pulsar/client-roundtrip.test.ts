import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { clientFor, drainFor, freshTopic, receiveN, text } from './client-fixture.js';

test('round trip keeps data, properties, keys and event time (batched)', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-batch');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await client.createProducer({
    topic,
    producerName: 'rt-producer',
    batchingEnabled: true,
  });
  const sends = Array.from({ length: 20 }, (_, i) =>
    producer.send({
      data: Buffer.from(`m${i}`),
      properties: { index: String(i), ünï: 'cödé' },
      partitionKey: `k${i % 3}`,
      orderingKey: i % 2 === 0 ? `o${i % 3}` : undefined,
      eventTimestamp: 1_700_000_000_000 + i,
    }),
  );
  const ids = await Promise.all(sends);
  assert.ok(
    ids.some((id) => id.batchIndex > 0),
    'some sends were batched',
  );
  const got = await receiveN(consumer, 20);
  got.sort((a, b) => Number(a.getProperties().index) - Number(b.getProperties().index));
  got.forEach((m, i) => {
    assert.equal(text(m), `m${i}`);
    assert.deepEqual(m.getProperties(), { index: String(i), ünï: 'cödé' });
    assert.equal(m.getPartitionKey(), `k${i % 3}`);
    assert.equal(m.getOrderingKey(), i % 2 === 0 ? `o${i % 3}` : undefined);
    assert.equal(m.getEventTimestamp(), 1_700_000_000_000 + i);
    assert.equal(m.getRedeliveryCount(), 0);
    assert.equal(m.getProducerName(), 'rt-producer');
    assert.ok(m.getPublishTimestamp() > Date.now() - 60_000);
    assert.ok(m.getMessageId().equals(ids[i]), `id of m${i}: ${m.getMessageId()} vs ${ids[i]}`);
    assert.equal(m.getTopicName(), topic);
  });
  for (const m of got) await consumer.acknowledge(m);
});

test('round trip without batching; ids increase and sequence ids continue', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-single');
  const consumer = await client.subscribe({ topic, subscription: 's' });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  const ids = [];
  for (let i = 0; i < 5; i++)
    ids.push(await producer.send({ data: Buffer.from(`x${i}`), properties: { i: `${i}` } }));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i].compare(ids[i - 1]) > 0);
  assert.ok(ids.every((id) => id.batchIndex === -1));
  const got = await receiveN(consumer, 5);
  assert.deepEqual(got.map(text), ['x0', 'x1', 'x2', 'x3', 'x4']);
  assert.deepEqual(
    got.map((m) => m.getSequenceId()),
    [0n, 1n, 2n, 3n, 4n],
  );
  assert.equal(producer.getLastSequenceId(), 4n);
});

test('an empty payload and a 1 MiB payload both arrive intact', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-sizes');
  const consumer = await client.subscribe({ topic, subscription: 's' });
  const producer = await client.createProducer({ topic });
  const big = Buffer.alloc(1024 * 1024, 7);
  big.write('end', big.length - 3);
  await Promise.all([producer.send({ data: Buffer.alloc(0) }), producer.send({ data: big })]);
  const got = await receiveN(consumer, 2);
  assert.equal(got[0].getData().length, 0);
  assert.ok(got[1].getData().equals(big));
});

test('deliverAfter holds a message back on a Shared subscription', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-delay');
  const consumer = await client.subscribe({ topic, subscription: 's', subscriptionType: 'Shared' });
  const producer = await client.createProducer({ topic });
  const sentAt = Date.now();
  await producer.send({ data: Buffer.from('later'), deliverAfter: 3000 });
  await producer.send({ data: Buffer.from('now') });
  const first = await consumer.receive(10_000);
  assert.equal(text(first), 'now');
  const second = await consumer.receive(15_000);
  assert.equal(text(second), 'later');
  assert.ok(Date.now() - sentAt >= 2500, `delivered after ${Date.now() - sentAt} ms`);
});

test('flush waits for receipts; close rejects later sends', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-flush');
  const producer = await client.createProducer({ topic, batchingMaxPublishDelayMs: 60_000 });
  let settled = 0;
  const p = Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      producer.send({ data: Buffer.from(`${i}`) }).then(() => settled++),
    ),
  );
  await producer.flush();
  assert.equal(settled, 10);
  await p;
  await producer.close();
  await assert.rejects(
    producer.send({ data: Buffer.from('x') }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'AlreadyClosed',
  );
});

test('maxPendingMessages rejects the overflowing send with ProducerQueueIsFull', async (t) => {
  const client = await clientFor(t);
  const producer = await client.createProducer({
    topic: freshTopic('rt-full'),
    maxPendingMessages: 3,
    batchingMaxPublishDelayMs: 200,
  });
  const ok = [0, 1, 2].map((i) => producer.send({ data: Buffer.from(`${i}`) }));
  await assert.rejects(
    producer.send({ data: Buffer.from('3') }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'ProducerQueueIsFull',
  );
  await Promise.all(ok);
  await producer.send({ data: Buffer.from('4') });
});

test('receive times out with Timeout when nothing comes', async (t) => {
  const client = await clientFor(t);
  const consumer = await client.subscribe({ topic: freshTopic('rt-empty'), subscription: 's' });
  await assert.rejects(
    consumer.receive(300),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'Timeout',
  );
  assert.deepEqual(await drainFor(consumer, 200), []);
});

test('a listener gets every message, one at a time', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('rt-listener');
  const seen: string[] = [];
  let inside = 0;
  let maxInside = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  await client.subscribe({
    topic,
    subscription: 's',
    listener: async (m, c) => {
      maxInside = Math.max(maxInside, ++inside);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(text(m));
      await c.acknowledge(m);
      inside--;
      if (seen.length === 10) done();
    },
  });
  const producer = await client.createProducer({ topic });
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => producer.send({ data: Buffer.from(`${i}`) })),
  );
  await all;
  assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(maxInside, 1);
});

test('with deduplication on, sequence ids continue from the broker and duplicates are dropped', async (t) => {
  const client = await clientFor(t);
  const { adminUrl } = await ensurePulsar();
  const topic = freshTopic('rt-dedup');
  const first = await client.createProducer({ topic, producerName: 'dedup-producer' });
  const policy = `${adminUrl}/admin/v2/${topic.replace('://', '/')}/deduplicationEnabled`;
  const set = await fetch(policy, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: 'true',
  });
  assert.equal(set.status, 204);
  for (let i = 0; (await (await fetch(`${policy}?applied=true`)).text()) !== 'true'; i++) {
    assert.ok(i < 50, 'deduplication policy applied');
    await new Promise((r) => setTimeout(r, 200));
  }
  await first.close();
  const p1 = await client.createProducer({ topic, producerName: 'dedup-producer' });
  for (let i = 0; i < 3; i++) await p1.send({ data: Buffer.from(`m${i}`) });
  await p1.close();
  const p2 = await client.createProducer({ topic, producerName: 'dedup-producer' });
  assert.equal(p2.getLastSequenceId(), 2n, 'PRODUCER_SUCCESS.last_sequence_id');
  const dup = await p2.send({ data: Buffer.from('again'), sequenceId: 1 });
  assert.equal(dup.ledgerId, -1n, 'a duplicate is acknowledged without being stored');
  await p2.send({ data: Buffer.from('m3') });
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const got = await receiveN(consumer, 4);
  assert.deepEqual(got.map(text), ['m0', 'm1', 'm2', 'm3']);
  assert.deepEqual(
    got.map((m) => m.getSequenceId()),
    [0n, 1n, 2n, 3n],
  );
  assert.deepEqual(await drainFor(consumer, 500), []);
});

test('PARTITIONED_METADATA reports 0 for a plain topic and the count for a partitioned one', async (t) => {
  const client = await clientFor(t);
  const { adminUrl } = await ensurePulsar();
  const plain = freshTopic('rt-plain');
  await client.createProducer({ topic: plain });
  assert.equal(await client.getPartitionCount(plain), 0);
  const partitioned = freshTopic('rt-partitioned');
  const res = await fetch(`${adminUrl}/admin/v2/${partitioned.replace('://', '/')}/partitions`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '3',
  });
  assert.equal(res.status, 204);
  assert.equal(await client.getPartitionCount(partitioned), 3);
});
