import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

// Pulsar redelivers a batch entry whole, so a message can be out twice at once (the first
// copy still held by the application, the new one just received). Through the Broker
// contract each copy acks and nacks its own; the conformance suite covers the acks.

const NACK_DELAY_MS = 300;

test('a nack of the new copy of a batched message redelivers it after its old copy was acked', async (t) => {
  const env = await ensurePulsar();
  const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
  t.after(() => broker.close());
  const topic = freshTopic('batch-copies');
  const consumer = await broker.subscribe({
    topic,
    subscription: 'sub',
    subscriptionType: 'Shared',
    nAckRedeliverTimeoutMs: NACK_DELAY_MS,
  });
  const producer = await broker.createProducer({
    topic,
    batchingEnabled: true,
    batchingMaxPublishDelayMs: 50,
    batchingMaxMessages: 10,
  });
  await Promise.all(['a', 'b'].map((x) => producer.send({ data: Buffer.from(x) })));
  await producer.close();
  const [a, b] = [await consumer.receive(5000), await consumer.receive(5000)];
  assert.ok(a.getMessageId().toString().endsWith(':0'), 'batched');
  consumer.negativeAcknowledge(a);
  const [a2, b2] = [await consumer.receive(5000), await consumer.receive(5000)];
  assert.deepEqual(
    [a2, b2].map((m) => m.getData().toString()),
    ['a', 'b'],
  );
  await consumer.acknowledge(b);
  await consumer.acknowledge(a2);
  consumer.negativeAcknowledge(b2);
  // The entry comes back whole; only b is still to be processed.
  const again = [await consumer.receive(5000), await consumer.receive(5000)];
  const b3 = again.find((m) => m.getData().toString() === 'b');
  assert.ok(b3, 'b delivered again');
  assert.ok(b3.getRedeliveryCount() >= 1);
  for (const m of again) await consumer.acknowledge(m);
});
