// A failed look for new partitions is reported through the client's onWarning (where the Java
// client logs a warning) and tried again at the next look. The client is a fake: the logic
// under test is what the partitioned consumer and producer do with a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PulsarClient } from '../../src/pulsar/client.js';
import { PulsarClient as RealClient } from '../../src/pulsar/client.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';

const TOPIC = 'persistent://public/default/grow';

interface FakeClient {
  warnings: Array<[string, unknown]>;
  partitions: () => Promise<number>;
  subscribeFails: boolean;
  client: PulsarClient;
}

function fakeClient(): FakeClient {
  const fake: FakeClient = {
    warnings: [],
    partitions: async () => 2,
    subscribeFails: false,
    client: undefined as unknown as PulsarClient,
  };
  const child = (topic: string) => ({
    getTopic: () => topic,
    getProducerName: () => 'p',
    deferAckTimeoutToCaller: () => undefined,
    on: () => undefined,
    // Never delivers: these tests only look at partitions.
    receive: () => new Promise(() => undefined),
    isConnected: () => true,
    close: async () => undefined,
  });
  fake.client = {
    options: {
      onWarning: (message: string, cause: unknown) => fake.warnings.push([message, cause]),
    },
    // The real method: it reads `options.onWarning` of this object.
    warn: RealClient.prototype.warn,
    getPartitionCount: () => fake.partitions(),
    subscribePartition: async (options: { topic: string }) => {
      if (fake.subscribeFails) throw new Error('partition not ready');
      return child(options.topic);
    },
    createPartitionProducer: async (options: { topic: string }) => child(options.topic),
  } as unknown as PulsarClient;
  return fake;
}

const noTimer = { autoUpdatePartitionsIntervalMs: 0 };

test('the consumer warns when the partition lookup fails, and follows once it works', async () => {
  const fake = fakeClient();
  const consumer = await PartitionedConsumer.subscribe(fake.client, [TOPIC], {
    subscription: 's',
    ...noTimer,
  });
  try {
    const cause = new Error('lookup timed out');
    fake.partitions = () => Promise.reject(cause);
    await consumer.updatePartitions();
    assert.deepEqual(fake.warnings, [[`could not look up the partitions of ${TOPIC}`, cause]]);
    assert.equal(consumer.children.length, 2);

    fake.partitions = async () => 3;
    fake.subscribeFails = true;
    await consumer.updatePartitions();
    assert.equal(fake.warnings.length, 2);
    assert.equal(fake.warnings[1][0], `could not subscribe to a new partition of ${TOPIC}`);
    assert.match(String(fake.warnings[1][1]), /partition not ready/);

    fake.subscribeFails = false;
    await consumer.updatePartitions();
    assert.equal(consumer.children.length, 3, 'the next look subscribes the new partition');
    assert.equal(fake.warnings.length, 2, 'no warning when the look works');
  } finally {
    await consumer.close();
  }
});

test('the producer warns when the partition lookup fails, and follows once it works', async () => {
  const fake = fakeClient();
  const producer = await PartitionedProducer.create(fake.client, { topic: TOPIC, ...noTimer }, 2);
  try {
    const cause = new Error('lookup timed out');
    fake.partitions = () => Promise.reject(cause);
    await producer.updatePartitions();
    assert.deepEqual(fake.warnings, [[`could not follow the partitions of ${TOPIC}`, cause]]);

    fake.partitions = async () => 4;
    await producer.updatePartitions();
    assert.equal(producer.partitions.length, 4);
    assert.equal(fake.warnings.length, 1);
  } finally {
    await producer.close();
  }
});

test('an onWarning that throws does not fail the look (it runs from a timer)', async () => {
  const fake = fakeClient();
  (fake.client.options as { onWarning: unknown }).onWarning = () => {
    throw new Error('logger broke');
  };
  const consumer = await PartitionedConsumer.subscribe(fake.client, [TOPIC], {
    subscription: 's',
    ...noTimer,
  });
  const producer = await PartitionedProducer.create(fake.client, { topic: TOPIC, ...noTimer }, 2);
  try {
    fake.partitions = () => Promise.reject(new Error('lookup timed out'));
    await consumer.updatePartitions();
    await producer.updatePartitions();
  } finally {
    await consumer.close();
    await producer.close();
  }
});

test('without onWarning the client stays silent', () => {
  const client = new RealClient({ serviceUrl: 'pulsar://127.0.0.1:1' });
  assert.equal(client.options.onWarning('x', new Error('y')), undefined);
});
