import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { BrokerError } from '../../src/broker/errors.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

test('an ack while the consumer is disconnected rejects with NotConnected and can be retried', async (t) => {
  const env = await ensurePulsar();
  const broker = await createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    // A wide window between losing the connection and the first reconnection attempt.
    client: { initialBackoffIntervalMs: 1500, maxBackoffIntervalMs: 1500 },
  });
  t.after(() => broker.close());
  const topic = freshTopic('ack-disconnected');
  const consumer = await broker.subscribe({ topic, subscription: 's', subscriptionType: 'Shared' });
  const producer = await broker.createProducer({ topic });
  await producer.send({ data: Buffer.from('a') });
  const message = await consumer.receive(10_000);

  await new PulsarAdmin({ baseUrl: env.adminUrl }).unloadTopic(topic);
  const until = Date.now() + 5000;
  while (consumer.isConnected() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.equal(consumer.isConnected(), false, 'the unload disconnected the consumer');
  await assert.rejects(
    consumer.acknowledge(message),
    (e: unknown) => e instanceof BrokerError && e.code === 'NotConnected',
  );

  // Back on the broker, the same ack goes through; the broker, which never saw the first,
  // has redelivered the message meanwhile.
  const again = await consumer.receive(10_000);
  assert.equal(again.getData().toString(), 'a');
  await consumer.acknowledge(message);
  await consumer.acknowledge(again);
  await assert.rejects(consumer.receive(1000), (e: unknown) => e instanceof BrokerError);
});

test('a cumulative ack while disconnected rejects and can be retried once back', async (t) => {
  const env = await ensurePulsar();
  const broker = await createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    client: { initialBackoffIntervalMs: 1500, maxBackoffIntervalMs: 1500 },
  });
  t.after(() => broker.close());
  const topic = freshTopic('cumulative-disconnected');
  const consumer = await broker.subscribe({ topic, subscription: 's' });
  const producer = await broker.createProducer({ topic });
  for (const data of ['a', 'b']) await producer.send({ data: Buffer.from(data) });
  await consumer.receive(10_000);
  const second = await consumer.receive(10_000);

  await new PulsarAdmin({ baseUrl: env.adminUrl }).unloadTopic(topic);
  const until = Date.now() + 5000;
  while (consumer.isConnected() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.equal(consumer.isConnected(), false, 'the unload disconnected the consumer');
  await assert.rejects(
    consumer.acknowledgeCumulative(second),
    (e: unknown) => e instanceof BrokerError && e.code === 'NotConnected',
  );
  // Back on the broker (which redelivers both), the same cumulative ack goes through.
  const redelivered = [await consumer.receive(10_000), await consumer.receive(10_000)];
  assert.deepEqual(
    redelivered.map((m) => m.getData().toString()),
    ['a', 'b'],
  );
  // It covers the redelivered copies too: nothing comes again.
  await consumer.acknowledgeCumulative(second);
  await assert.rejects(consumer.receive(1000), (e: unknown) => e instanceof BrokerError);
});
