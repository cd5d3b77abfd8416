import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../../src/broker/index.js';
import {
  type Harness,
  assertNothing,
  publish,
  range,
  receiveN,
  text,
  withTimeout,
} from './harness.js';

export function basicTests(h: Harness): void {
  test('a message keeps its payload, properties, keys and times', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('basic');
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionInitialPosition: 'Earliest',
    });
    const producer = await broker.createProducer({ topic });
    const before = Date.now();
    const id = await producer.send({
      data: Buffer.from([0, 1, 2, 255]),
      properties: { a: '1', 'x-trace': 'abc' },
      partitionKey: 'user-1',
      orderingKey: 'order-1',
      eventTimestamp: 1_700_000_000_000,
    });
    const m = await consumer.receive(h.timing.receiveTimeoutMs);
    assert.deepEqual([...m.getData()], [0, 1, 2, 255]);
    assert.deepEqual(m.getProperties(), { a: '1', 'x-trace': 'abc' });
    assert.equal(m.getPartitionKey(), 'user-1');
    assert.equal(m.getOrderingKey(), 'order-1');
    assert.equal(m.getEventTimestamp(), 1_700_000_000_000);
    assert.ok(
      m.getPublishTimestamp() >= before - 5000 && m.getPublishTimestamp() <= Date.now() + 5000,
    );
    assert.equal(m.getRedeliveryCount(), 0);
    assert.equal(m.getTopicName(), topic);
    assert.ok(m.getMessageId().equals(id), `${m.getMessageId().toString()} != ${id.toString()}`);
    await consumer.acknowledge(m);
    await producer.close();
  });

  test('a message without properties, keys or event time reads back empty', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('plain');
    const consumer = await broker.subscribe({ topic, subscription: 'sub' });
    await publish(broker, topic, 1);
    const m = await consumer.receive(h.timing.receiveTimeoutMs);
    assert.equal(text(m), 'm-0');
    assert.deepEqual(m.getProperties(), {});
    assert.equal(m.getPartitionKey() || undefined, undefined);
    assert.equal(m.getEventTimestamp(), 0);
  });

  test('message ids grow in publish order', async (t) => {
    const { broker } = await h.open(t);
    const ids = await publish(broker, h.topic('ids'), 5);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1].compare(ids[i]) < 0);
  });

  test('Earliest starts at the oldest message, Latest only sees new ones', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('positions');
    await publish(broker, topic, 3, 'old');
    const earliest = await broker.subscribe({
      topic,
      subscription: 'from-earliest',
      subscriptionInitialPosition: 'Earliest',
    });
    const latest = await broker.subscribe({
      topic,
      subscription: 'from-latest',
      subscriptionInitialPosition: 'Latest',
    });
    await publish(broker, topic, 2, 'new');
    const e = await receiveN(h, earliest, 5);
    assert.deepEqual(e.map(text), [...range(3, 'old'), ...range(2, 'new')]);
    const l = await receiveN(h, latest, 2);
    assert.deepEqual(l.map(text), range(2, 'new'));
    await assertNothing(h, latest);
  });

  test('an Exclusive consumer receives every message in publish order', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('order');
    const consumer = await broker.subscribe({ topic, subscription: 'sub', receiverQueueSize: 7 });
    const producer = await broker.createProducer({ topic });
    await Promise.all(range(200).map((s) => producer.send({ data: Buffer.from(s) })));
    const got = await receiveN(h, consumer, 200);
    assert.deepEqual(got.map(text), range(200));
    await producer.close();
  });

  test('one consumer can subscribe to several topics', async (t) => {
    const { broker } = await h.open(t);
    const a = h.topic('multi-a');
    const b = h.topic('multi-b');
    const consumer = await broker.subscribe({
      topics: [a, b],
      subscription: 'sub',
      subscriptionType: 'Shared',
    });
    await publish(broker, a, 2, 'a');
    await publish(broker, b, 2, 'b');
    const got = await receiveN(h, consumer, 4);
    const byTopic = (topic: string) => got.filter((m) => m.getTopicName() === topic).map(text);
    assert.deepEqual(byTopic(a), range(2, 'a'));
    assert.deepEqual(byTopic(b), range(2, 'b'));
    for (const m of got) await consumer.acknowledge(m);
  });

  test('a listener receives messages instead of receive()', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('listener');
    const seen: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      listener: async (m: Message, c) => {
        seen.push(text(m));
        await c.acknowledge(m);
        if (seen.length === 5) done();
      },
    });
    await publish(broker, topic, 5);
    await withTimeout(all, h.timing.receiveTimeoutMs, 'listener');
    assert.deepEqual(seen, range(5));
    await consumer.close();
  });
}
