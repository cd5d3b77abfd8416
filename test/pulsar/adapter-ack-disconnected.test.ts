import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { Message, SubscriptionType } from '../../src/broker/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

/**
 * A consumer that received `payloads`, then lost its connection to a topic unload; it stays
 * disconnected for about 1.5 s (its first reconnection attempt waits that long).
 */
async function receivedThenUnloaded(t: TestContext, type: SubscriptionType, payloads: string[]) {
  const env = await ensurePulsar();
  const broker = await createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    client: { initialBackoffIntervalMs: 1500, maxBackoffIntervalMs: 1500 },
  });
  t.after(() => broker.close());
  const topic = freshTopic('ack-disconnected');
  const consumer = await broker.subscribe({ topic, subscription: 's', subscriptionType: type });
  const producer = await broker.createProducer({ topic });
  for (const data of payloads) await producer.send({ data: Buffer.from(data) });
  const received: Message[] = [];
  for (const _ of payloads) received.push(await consumer.receive(10_000));
  await new PulsarAdmin({ baseUrl: env.adminUrl }).unloadTopic(topic);
  const until = Date.now() + 5000;
  while (consumer.isConnected() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  assert.equal(consumer.isConnected(), false, 'the unload disconnected the consumer');
  return { consumer, received };
}

const notConnected = (e: unknown) => e instanceof BrokerError && e.code === 'NotConnected';

test('an ack while the consumer is disconnected rejects with NotConnected and can be retried', async (t) => {
  const { consumer, received } = await receivedThenUnloaded(t, 'Shared', ['a']);
  const [message] = received;
  await assert.rejects(consumer.acknowledge(message), notConnected);
  // Back on the broker, the same ack goes through; the broker, which never saw the first,
  // has redelivered the message meanwhile.
  const again = await consumer.receive(10_000);
  assert.equal(again.getData().toString(), 'a');
  await consumer.acknowledge(message);
  await consumer.acknowledge(again);
  await assert.rejects(consumer.receive(1000), (e: unknown) => e instanceof BrokerError);
});

test('a cumulative ack while disconnected rejects and can be retried once back', async (t) => {
  const { consumer, received } = await receivedThenUnloaded(t, 'Exclusive', ['a', 'b']);
  const second = received[1];
  await assert.rejects(consumer.acknowledgeCumulative(second), notConnected);
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
