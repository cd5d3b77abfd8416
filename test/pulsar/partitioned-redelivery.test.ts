import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import type { Message } from '../../src/pulsar/index.js';
import { partitionedTopicFor, text } from './client-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Receives (acking each) until nothing comes for `quietMs`. */
async function drain(consumer: PartitionedConsumer, quietMs: number, pauseMs = 0) {
  const got: string[] = [];
  for (;;) {
    let m: Message;
    try {
      m = await consumer.receive(quietMs);
    } catch {
      return got;
    }
    got.push(text(m));
    if (pauseMs > 0) await sleep(pauseMs);
    await consumer.acknowledge(m);
  }
}

for (const subscriptionType of ['Exclusive', 'Failover'] as const) {
  test(`a nack on a ${subscriptionType} partitioned consumer redelivers in order, without duplicates`, async (t) => {
    const { client, topic } = await partitionedTopicFor(t, 'pnack', 1);
    const consumer = await PartitionedConsumer.subscribe(client, [topic], {
      subscription: 's',
      subscriptionType,
      nAckRedeliverTimeoutMs: 100,
    });
    t.after(() => consumer.close());
    const producer = await PartitionedProducer.create(client, { topic, batchingEnabled: false }, 1);
    t.after(() => producer.close());
    for (let i = 0; i < 10; i++) await producer.send({ data: Buffer.from(String(i)) });
    await sleep(300); // every message is in the merged queue by now
    const first = await consumer.receive(5000);
    consumer.negativeAcknowledge(first);
    await sleep(500);
    const rest = await drain(consumer, 1000);
    assert.deepEqual(
      [text(first), ...rest],
      ['0', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    );
  });
}

test('the ack timeout of a partitioned consumer starts when the application receives', async (t) => {
  const { client, topic } = await partitionedTopicFor(t, 'pack', 1);
  const consumer = await PartitionedConsumer.subscribe(client, [topic], {
    subscription: 's',
    subscriptionType: 'Shared',
    ackTimeoutMs: 1000,
  });
  t.after(() => consumer.close());
  const producer = await PartitionedProducer.create(client, { topic, batchingEnabled: false }, 1);
  t.after(() => producer.close());
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => producer.send({ data: Buffer.from(String(i)) })),
  );
  // Each message is acked 100 ms after it is received, well within the ack timeout, though
  // the last ones wait in the merged queue for about two seconds.
  const got = await drain(consumer, 2500, 100);
  assert.equal(got.length, 20, `received ${got.join(' ')}`);
  assert.equal(new Set(got).size, 20);
});
