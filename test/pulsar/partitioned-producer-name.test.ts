import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { partitionedTopicFor } from './client-fixture.js';

test('every partition producer of a PartitionedProducer has the name given, as in Java', async (t) => {
  const { client, topic } = await partitionedTopicFor(t, 'pname', 2);
  const consumer = await client.subscribe({
    topic: `${topic}-partition-1`,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await PartitionedProducer.create(
    client,
    { topic, producerName: `writer-${Date.now()}`, routingMode: 'SinglePartition' },
    2,
  );
  t.after(() => producer.close());
  const name = producer.getProducerName();
  assert.match(name, /^writer-\d+$/);
  assert.deepEqual(
    producer.partitions.map((p) => p.getProducerName()),
    [name, name],
  );
  await producer.partitions[1].send({ data: Buffer.from('x') });
  assert.equal((await consumer.receive(10_000)).getProducerName(), name);
});

test('without a name, the partitions share the name the broker chose for partition 0', async (t) => {
  const { client, topic } = await partitionedTopicFor(t, 'pname-auto', 3);
  const producer = await PartitionedProducer.create(client, { topic }, 3);
  t.after(() => producer.close());
  const names = producer.partitions.map((p) => p.getProducerName());
  assert.ok(names[0].length > 0);
  assert.deepEqual(names, [names[0], names[0], names[0]]);
  assert.equal(producer.getProducerName(), names[0]);
});
