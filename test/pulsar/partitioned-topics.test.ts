import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadLetterTopicName } from '../../src/broker/index.js';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { javaStringHash } from '../../src/pulsar/routing/index.js';
import { PulsarClient, partitionTopicName, type Message } from '../../src/pulsar/index.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { ensurePulsar, freshTopic, javaProduce } from '../helpers/pulsar.js';
import { partitionedTopicFor } from './client-fixture.js';

const PARTITIONS = 5;
// ASCII, non-ASCII and a surrogate pair: JavaStringHash runs over UTF-16 code units.
const KEYS = ['user-1', 'user-42', 'order-7', 'Magnetar', 'clé-ü', '😀key'];

async function receiveAll<M>(c: { receive(ms: number): Promise<M> }, n: number) {
  const out: M[] = [];
  while (out.length < n) out.push(await c.receive(20_000));
  return out;
}

test(
  'keys land on the partitions the Java client puts them on, and our producer agrees',
  { timeout: 600_000 },
  async (t) => {
    const env = await ensurePulsar();
    const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
    const client = new PulsarClient({ serviceUrl: env.serviceUrl });
    t.after(() => client.close());
    const javaTopic = freshTopic('java-keys');
    await admin.createPartitionedTopic(javaTopic, PARTITIONS);
    assert.equal(await client.getPartitionCount(javaTopic), PARTITIONS);

    // Where Pulsar's Java CLI client (default routing: JavaStringHash) put each key.
    for (const key of KEYS) await javaProduce(javaTopic, [`java:${key}`], { key });
    const javaPartition = new Map<string, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const c = await client.subscribePartition(
        {
          topic: partitionTopicName(javaTopic, p),
          subscription: 'where',
          subscriptionInitialPosition: 'Earliest',
        },
        p,
      );
      for (;;) {
        let m: Message;
        try {
          m = await c.receive(1500);
        } catch {
          break;
        }
        javaPartition.set(m.getPartitionKey()!, m.getMessageId().partition);
      }
      await c.close();
    }
    assert.deepEqual([...javaPartition.keys()].sort(), [...KEYS].sort());

    // Our partitioned producer on another topic with the same partition count.
    const ourTopic = freshTopic('our-keys');
    await admin.createPartitionedTopic(ourTopic, PARTITIONS);
    const producer = await PartitionedProducer.create(client, { topic: ourTopic }, PARTITIONS);
    t.after(() => producer.close());
    for (const key of KEYS) {
      const id = await producer.send({ data: Buffer.from(`ours:${key}`), partitionKey: key });
      assert.equal(id.partition, javaPartition.get(key), `key ${key}`);
      assert.equal(producer.partitionFor(key), javaPartition.get(key), `key ${key}`);
    }
    t.diagnostic(
      KEYS.map((k) => `${k}->${javaPartition.get(k)}`).join(' ') +
        ` (${new Set(javaPartition.values()).size} distinct partitions)`,
    );

    // A consumer over all partitions sees every message, each with its partition.
    const all = await PartitionedConsumer.subscribe(client, [ourTopic], {
      subscription: 'all',
      subscriptionInitialPosition: 'Earliest',
      subscriptionType: 'Shared',
    });
    t.after(() => all.close());
    const got = await receiveAll(all, KEYS.length);
    for (const m of got) {
      assert.equal(m.getMessageId().partition, javaPartition.get(m.getPartitionKey()!));
      assert.equal(m.getTopicName(), partitionTopicName(ourTopic, m.getMessageId().partition));
      await all.acknowledge(m);
    }
    assert.deepEqual(
      got.map((m) => m.getData().toString()).sort(),
      KEYS.map((k) => `ours:${k}`).sort(),
    );
  },
);

test('unkeyed messages spread over every partition, round robin', async (t) => {
  const env = await ensurePulsar();
  const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
  const client = new PulsarClient({ serviceUrl: env.serviceUrl });
  t.after(() => client.close());
  const topic = freshTopic('round-robin');
  await admin.createPartitionedTopic(topic, 3);
  const producer = await PartitionedProducer.create(client, { topic, batchingEnabled: false }, 3);
  t.after(() => producer.close());
  const ids = [];
  for (let i = 0; i < 9; i++) ids.push(await producer.send({ data: Buffer.from(`m-${i}`) }));
  const counts = [0, 0, 0];
  for (const id of ids) counts[id.partition]++;
  assert.deepEqual(counts, [3, 3, 3]);
  for (let i = 1; i < ids.length; i++) {
    assert.equal(ids[i].partition, (ids[i - 1].partition + 1) % 3);
  }
});

test('the Broker contract over a partitioned topic: routing, consuming, stats, dead letters', async (t) => {
  const env = await ensurePulsar();
  const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
  const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
  t.after(() => broker.close());
  const topic = freshTopic('broker-partitioned');
  await admin.createPartitionedTopic(topic, 3);
  const dlq = await broker.subscribe({
    topic: deadLetterTopicName(topic, 'sub'),
    subscription: 'inspect',
    subscriptionInitialPosition: 'Earliest',
  });
  const consumer = await broker.subscribe({
    topic,
    subscription: 'sub',
    subscriptionType: 'Shared',
    nAckRedeliverTimeoutMs: 200,
    deadLetterPolicy: { maxRedeliverCount: 1 },
  });
  const producer = await broker.createProducer({ topic });
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const ids = await Promise.all(
    keys.map((k) => producer.send({ data: Buffer.from(`v-${k}`), partitionKey: k })),
  );
  keys.forEach((k, i) => assert.equal(ids[i].partition, javaStringHash(k) % 3, `key ${k}`));
  const got = await receiveAll(consumer, keys.length);
  const poison = got.find((m) => m.getPartitionKey() === 'c')!;
  for (const m of got) if (m !== poison) await consumer.acknowledgeId(m.getMessageId());
  consumer.negativeAcknowledge(poison);
  const again = await consumer.receive(10_000);
  assert.equal(again.getRedeliveryCount(), 1);
  consumer.negativeAcknowledge(again);
  const dead = await dlq.receive(10_000);
  assert.equal(dead.getData().toString(), 'v-c');
  assert.equal(dead.getProperties().REAL_TOPIC, topic);
  assert.ok((await broker.admin.listTopics()).includes(topic));
  assert.ok(!(await broker.admin.listTopics()).some((x) => x.startsWith(`${topic}-partition-`)));
  const stats = await broker.admin.topicStats(topic);
  // One logical consumer (one per partition underneath, under one name).
  assert.equal(stats.subscriptions.find((s) => s.name === 'sub')?.consumers, 1);
});

test(
  'createProducer and subscribe refuse a partitioned topic instead of using its namesake',
  { timeout: 300_000 },
  async (t) => {
    const { client, topic } = await partitionedTopicFor(t, 'refused', 3);
    await assert.rejects(client.createProducer({ topic }), {
      result: 'InvalidConfiguration',
      message: /partitioned topic \(3 partitions\): use PartitionedProducer/,
    });
    await assert.rejects(client.subscribe({ topic, subscription: 's' }), {
      message: /use PartitionedConsumer/,
    });
    // One partition, by its own name, is a topic like any other.
    const one = await client.createProducer({ topic: partitionTopicName(topic, 1) });
    await one.send({ data: Buffer.from('x') });
    await one.close();
  },
);
