import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { clientFor, collectFrom, freshTopic, receiveN, text } from './client-fixture.js';

test('Exclusive: a second consumer is refused with ConsumerBusy', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('sub-excl');
  await client.subscribe({ topic, subscription: 's', subscriptionType: 'Exclusive' });
  await assert.rejects(
    client.subscribe({ topic, subscription: 's', subscriptionType: 'Exclusive' }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'ConsumerBusy',
  );
  // Another subscription on the same topic is fine.
  await client.subscribe({ topic, subscription: 'other', subscriptionType: 'Exclusive' });
});

test('Failover: one active consumer; the standby takes over when it leaves', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('sub-failover');
  const changes: string[] = [];
  const a = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Failover',
    consumerName: 'a',
  });
  a.on('activeChange', (v: boolean) => changes.push(`a:${v}`));
  const b = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Failover',
    consumerName: 'b',
  });
  b.on('activeChange', (v: boolean) => changes.push(`b:${v}`));
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  for (let i = 0; i < 5; i++) await producer.send({ data: Buffer.from(`first${i}`) });
  // Exactly one of the two gets the messages.
  const [gotA, gotB] = await collectFrom([a, b], 5);
  assert.ok(
    (gotA.length === 5 && gotB.length === 0) || (gotA.length === 0 && gotB.length === 5),
    `${gotA.length}/${gotB.length}`,
  );
  const [active, standby] = gotA.length === 5 ? [a, b] : [b, a];
  await active.close();
  for (let i = 0; i < 5; i++) await producer.send({ data: Buffer.from(`second${i}`) });
  const taken = await receiveN(standby, 5);
  assert.deepEqual(taken.map(text), ['second0', 'second1', 'second2', 'second3', 'second4']);
  assert.equal(standby.isActive(), true);
  assert.ok(changes.length > 0, 'ACTIVE_CONSUMER_CHANGE was reported');
});

test('Shared: messages are spread over the consumers, each delivered once', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('sub-shared');
  const consumers = await Promise.all(
    [1, 2, 3].map(() =>
      client.subscribe({
        topic,
        subscription: 's',
        subscriptionType: 'Shared',
        receiverQueueSize: 10,
      }),
    ),
  );
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  await Promise.all(
    Array.from({ length: 60 }, (_, i) => producer.send({ data: Buffer.from(`${i}`) })),
  );
  const per = (await collectFrom(consumers, 60)).map((got) => got.map(text));
  const all = per
    .flat()
    .map(Number)
    .sort((x, y) => x - y);
  assert.deepEqual(
    all,
    Array.from({ length: 60 }, (_, i) => i),
  );
  for (const got of per)
    assert.ok(got.length > 0, `every consumer got some: ${per.map((p) => p.length)}`);
});

test('KeyShared: each key goes to one consumer, in order, with batching on', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('sub-keyshared');
  const opts = { topic, subscription: 's', subscriptionType: 'KeyShared' as const };
  const c1 = await client.subscribe({ ...opts, consumerName: 'c1' });
  const c2 = await client.subscribe({ ...opts, consumerName: 'c2' });
  const producer = await client.createProducer({
    topic,
    batchingEnabled: true,
    // Key batches, as Pulsar recommends for Key_Shared: the default batch mixes keys and goes
    // to one consumer whole.
    batchingType: 'KeyBasedBatching',
    batchingMaxPublishDelayMs: 20,
  });
  const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
  const sends = [];
  for (let seq = 0; seq < 25; seq++) {
    for (const key of keys)
      sends.push(producer.send({ data: Buffer.from(`${key}:${seq}`), partitionKey: key }));
  }
  await Promise.all(sends);
  const [g1, g2] = await collectFrom([c1, c2], keys.length * 25);
  assert.equal(g1.length + g2.length, keys.length * 25);
  assert.ok(g1.length > 0 && g2.length > 0, `both consumers got keys: ${g1.length}/${g2.length}`);
  const owner = new Map<string, string>();
  for (const [name, got] of [
    ['c1', g1],
    ['c2', g2],
  ] as const) {
    const lastSeq = new Map<string, number>();
    for (const m of got) {
      const [key, seq] = text(m).split(':');
      assert.equal(m.getPartitionKey(), key);
      assert.equal(owner.get(key) ?? name, name, `${key} went to both consumers`);
      owner.set(key, name);
      assert.ok(Number(seq) > (lastSeq.get(key) ?? -1), `${key} out of order at ${seq}`);
      lastSeq.set(key, Number(seq));
    }
  }
});
