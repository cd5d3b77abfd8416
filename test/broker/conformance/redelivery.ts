import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBrokerError } from '../../../src/broker/index.js';
import { type Harness, assertNothing, publish, range, receiveN, text } from './harness.js';

export function redeliveryTests(h: Harness): void {
  test('acked messages are not delivered again; unacked ones are, after the consumer closes', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('ack');
    const opts = { topic, subscription: 'sub', subscriptionInitialPosition: 'Earliest' as const };
    await publish(broker, topic, 10);
    const first = await broker.subscribe(opts);
    const got = await receiveN(h, first, 10);
    for (const m of got) if (Number(text(m).split('-')[1]) % 2 === 1) await first.acknowledge(m);
    await first.close();
    const second = await broker.subscribe(opts);
    const again = await receiveN(h, second, 5);
    assert.deepEqual(again.map(text), ['m-0', 'm-2', 'm-4', 'm-6', 'm-8']);
    for (const m of again) await second.acknowledge(m);
    await assertNothing(h, second);
  });

  test('acknowledgeId acks by message id', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('ack-id');
    const opts = { topic, subscription: 'sub', subscriptionInitialPosition: 'Earliest' as const };
    const ids = await publish(broker, topic, 3);
    const first = await broker.subscribe(opts);
    await receiveN(h, first, 3);
    await first.acknowledgeId(ids[0]);
    await first.acknowledgeId(ids[2]);
    await first.close();
    const second = await broker.subscribe(opts);
    assert.deepEqual((await receiveN(h, second, 1)).map(text), ['m-1']);
    await assertNothing(h, second);
  });

  test('cumulative ack acks everything up to the message', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('cumulative');
    const opts = { topic, subscription: 'sub', subscriptionInitialPosition: 'Earliest' as const };
    await publish(broker, topic, 10);
    const first = await broker.subscribe(opts);
    const got = await receiveN(h, first, 10);
    await first.acknowledgeCumulative(got[5]);
    await first.close();
    const second = await broker.subscribe(opts);
    const again = await receiveN(h, second, 4);
    assert.deepEqual(again.map(text), range(10).slice(6));
    await assertNothing(h, second);
  });

  test('a nacked message comes back after the nack delay with its redelivery count raised', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('nack');
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
      nAckRedeliverTimeoutMs: h.timing.nackDelayMs,
    });
    await publish(broker, topic, 2);
    const [m0, m1] = await receiveN(h, consumer, 2);
    assert.equal(m0.getRedeliveryCount(), 0);
    await consumer.acknowledge(m1);
    const nackedAt = Date.now();
    consumer.negativeAcknowledge(m0);
    const again = await consumer.receive(h.timing.receiveTimeoutMs + h.timing.nackDelayMs);
    const waited = Date.now() - nackedAt;
    assert.equal(text(again), 'm-0');
    assert.equal(again.getRedeliveryCount(), 1);
    assert.ok(waited >= h.timing.nackDelayMs * 0.8, `redelivered after ${waited} ms`);
    assert.ok(again.getMessageId().equals(m0.getMessageId()));
    consumer.negativeAcknowledge(again);
    const third = await consumer.receive(h.timing.receiveTimeoutMs + h.timing.nackDelayMs);
    assert.equal(third.getRedeliveryCount(), 2);
    await consumer.acknowledge(third);
    await assertNothing(h, consumer, h.timing.nackDelayMs + h.timing.quietMs);
  });

  test('a message not acked within the ack timeout is redelivered', async (t) => {
    if (h.lacks(t, 'ackTimeout')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('ack-timeout');
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
      ackTimeoutMs: h.timing.ackTimeoutMs,
    });
    await publish(broker, topic, 2);
    const [m0, m1] = await receiveN(h, consumer, 2);
    const receivedAt = Date.now();
    await consumer.acknowledge(m1);
    const again = await consumer.receive(h.timing.receiveTimeoutMs + h.timing.ackTimeoutMs);
    const waited = Date.now() - receivedAt;
    assert.equal(text(again), text(m0));
    assert.ok(again.getRedeliveryCount() >= 1);
    assert.ok(waited >= h.timing.ackTimeoutMs * 0.8, `redelivered after ${waited} ms`);
    await consumer.acknowledge(again);
    await assertNothing(h, consumer, h.timing.ackTimeoutMs + h.timing.quietMs);
  });

  test('unacked messages of a closed Shared consumer go to the remaining one', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('closed-consumer');
    const base = { topic, subscription: 'sub', subscriptionType: 'Shared' as const };
    const leaving = await broker.subscribe(base);
    await publish(broker, topic, 5);
    const held = await receiveN(h, leaving, 5);
    await leaving.acknowledge(held[0]);
    const staying = await broker.subscribe(base);
    await leaving.close();
    const moved = await receiveN(h, staying, 4);
    assert.deepEqual(moved.map(text).sort(), range(5).slice(1));
    await assertNothing(h, staying);
  });

  test('after a batched message is redelivered, the old copies and the new ones ack each their own', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('batch-copies');
    const opts = {
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared' as const,
      nAckRedeliverTimeoutMs: h.timing.nackDelayMs,
    };
    const consumer = await broker.subscribe(opts);
    const producer = await broker.createProducer({
      topic,
      batchingEnabled: true,
      batchingMaxPublishDelayMs: 50,
      batchingMaxMessages: 10,
    });
    await Promise.all(range(3).map((x) => producer.send({ data: Buffer.from(x) })));
    await producer.close();
    const [m0, m1, m2] = await receiveN(h, consumer, 3);
    consumer.negativeAcknowledge(m0);
    // Pulsar redelivers the whole batch entry, the embedded broker the one message.
    const copies = [await consumer.receive(h.timing.receiveTimeoutMs + h.timing.nackDelayMs)];
    assert.equal(text(copies[0]), 'm-0');
    for (;;) {
      try {
        copies.push(await consumer.receive(h.timing.quietMs));
      } catch (err) {
        if (!isBrokerError(err, 'Timeout')) throw err;
        break;
      }
    }
    assert.ok(
      copies.every((m) => range(3).includes(text(m))),
      copies.map(text).join(),
    );
    // The application finishes the first copies it still held, then the new ones.
    await consumer.acknowledge(m1);
    await consumer.acknowledge(m2);
    await consumer.acknowledge(m1); // twice: a no-op
    for (const m of copies) await consumer.acknowledge(m);
    await consumer.close();
    const again = await broker.subscribe(opts);
    await assertNothing(h, again, h.timing.nackDelayMs + h.timing.quietMs);
  });
}
