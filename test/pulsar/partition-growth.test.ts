// Partitions an operator adds to a partitioned topic are followed by our partitioned consumer
// and producer (the Java client's autoUpdatePartitions), against the real standalone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { partitionedTopicFor } from './client-fixture.js';

async function until(cond: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  'partitions added to a topic are consumed and produced to',
  { timeout: 300_000 },
  async (t) => {
    const { admin, client, topic } = await partitionedTopicFor(t, 'grow', 2);
    const every = { autoUpdatePartitionsIntervalMs: 300 };
    const consumer = await PartitionedConsumer.subscribe(client, [topic], {
      subscription: 's',
      subscriptionType: 'Shared',
      ...every,
    });
    const producer = await PartitionedProducer.create(
      client,
      { topic, batchingEnabled: false, ...every },
      2,
    );
    await admin.updatePartitionedTopic(topic, 4);
    await until(() => producer.partitions.length === 4 && consumer.children.length === 4, 20_000);

    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const byPartition = new Map<number, number>();
    for (const key of keys) {
      const id = await producer.send({ data: Buffer.from(key), partitionKey: key });
      byPartition.set(id.partition, (byPartition.get(id.partition) ?? 0) + 1);
    }
    assert.deepEqual([...byPartition.keys()].sort(), [0, 1, 2, 3], 'keys reach the new partitions');
    const received = new Set<string>();
    while (received.size < keys.length) {
      const m = await consumer.receive(10_000);
      received.add(m.getData().toString());
      await consumer.acknowledge(m);
    }
    assert.equal(received.size, keys.length);
  },
);
