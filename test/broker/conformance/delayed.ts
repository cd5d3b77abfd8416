import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Harness, receiveN, text } from './harness.js';

export function delayedTests(h: Harness): void {
  test('deliverAfter and deliverAt hold a message back on Shared and KeyShared', async (t) => {
    if (h.lacks(t, 'delayedDelivery')) return;
    const { broker } = await h.open(t);
    for (const subscriptionType of ['Shared', 'KeyShared'] as const) {
      const topic = h.topic(`delayed-${subscriptionType}`);
      const consumer = await broker.subscribe({ topic, subscription: 'sub', subscriptionType });
      const producer = await broker.createProducer({ topic });
      const sentAt = Date.now();
      await producer.send({
        data: Buffer.from('later'),
        deliverAfter: h.timing.delayMs,
        partitionKey: 'k',
      });
      await producer.send({
        data: Buffer.from('at'),
        deliverAt: sentAt + h.timing.delayMs,
        partitionKey: 'j',
      });
      await producer.send({ data: Buffer.from('now'), partitionKey: 'k' });
      const first = await consumer.receive(h.timing.receiveTimeoutMs);
      assert.equal(text(first), 'now', subscriptionType);
      assert.ok(Date.now() - sentAt < h.timing.delayMs, 'undelayed message was not held');
      const rest = await receiveN(h, consumer, 2);
      const waited = Date.now() - sentAt;
      assert.deepEqual(rest.map(text).sort(), ['at', 'later']);
      assert.ok(
        waited >= h.timing.delayMs * 0.8,
        `${subscriptionType}: delivered after ${waited} ms`,
      );
      for (const m of [first, ...rest]) await consumer.acknowledge(m);
      await consumer.close();
      await producer.close();
    }
  });

  test('Exclusive subscriptions deliver delayed messages at once, as Pulsar does', async (t) => {
    if (h.lacks(t, 'delayedDelivery')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('delayed-exclusive');
    const consumer = await broker.subscribe({ topic, subscription: 'sub' });
    const producer = await broker.createProducer({ topic });
    const sentAt = Date.now();
    await producer.send({ data: Buffer.from('d'), deliverAfter: h.timing.delayMs * 10 });
    const m = await consumer.receive(h.timing.receiveTimeoutMs);
    assert.equal(text(m), 'd');
    assert.ok(Date.now() - sentAt < h.timing.delayMs * 10);
    await producer.close();
  });
}
