import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RETRY_PROPERTIES,
  deadLetterTopicName,
  retryTopicName,
} from '../../../src/broker/index.js';
import { type Harness, assertNothing, publish, text } from './harness.js';

export function letterTests(h: Harness): void {
  test('reconsumeLater goes through the retry topic with the Pulsar properties', async (t) => {
    if (h.lacks(t, 'retryTopic')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('retry');
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
      retryEnable: true,
      deadLetterPolicy: { maxRedeliverCount: 5 },
    });
    const [id] = await publish(broker, topic, 1, 'm', () => ({
      partitionKey: 'k1',
      properties: { app: 'x' },
    }));
    const first = await consumer.receive(h.timing.receiveTimeoutMs);
    const at = Date.now();
    await consumer.reconsumeLater(first, h.timing.delayMs);
    const retried = await consumer.receive(h.timing.receiveTimeoutMs + h.timing.delayMs);
    const waited = Date.now() - at;
    assert.equal(text(retried), 'm-0');
    assert.equal(retried.getTopicName(), retryTopicName(topic, 'sub'));
    assert.equal(retried.getPartitionKey(), 'k1');
    const props = retried.getProperties();
    assert.equal(props.app, 'x');
    assert.equal(props[RETRY_PROPERTIES.realTopic], topic);
    assert.equal(props[RETRY_PROPERTIES.originMessageId], id.toString());
    assert.equal(props[RETRY_PROPERTIES.reconsumeTimes], '1');
    assert.equal(props[RETRY_PROPERTIES.delayTime], String(h.timing.delayMs));
    assert.ok(waited >= h.timing.delayMs * 0.8, `retried after ${waited} ms`);
    await consumer.reconsumeLater(retried, 0);
    const second = await consumer.receive(h.timing.receiveTimeoutMs);
    assert.equal(second.getProperties()[RETRY_PROPERTIES.reconsumeTimes], '2');
    assert.equal(second.getProperties()[RETRY_PROPERTIES.originMessageId], id.toString());
    await consumer.acknowledge(second);
    await assertNothing(h, consumer);
  });

  test('reconsumeLater past maxRedeliverCount dead-letters the message', async (t) => {
    if (h.lacks(t, 'retryTopic') || h.lacks(t, 'deadLetter')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('retry-dlq');
    const dlq = await broker.subscribe({
      topic: deadLetterTopicName(topic, 'sub'),
      subscription: 'inspect',
      subscriptionInitialPosition: 'Earliest',
    });
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
      retryEnable: true,
      deadLetterPolicy: { maxRedeliverCount: 2 },
    });
    const [id] = await publish(broker, topic, 1);
    for (let i = 0; i < 3; i++) {
      const m = await consumer.receive(h.timing.receiveTimeoutMs);
      await consumer.reconsumeLater(m, 0);
    }
    const dead = await dlq.receive(h.timing.receiveTimeoutMs);
    assert.equal(text(dead), 'm-0');
    assert.equal(dead.getProperties()[RETRY_PROPERTIES.realTopic], topic);
    assert.equal(dead.getProperties()[RETRY_PROPERTIES.originMessageId], id.toString());
    await assertNothing(h, consumer);
  });

  test('a message nacked past maxRedeliverCount goes to the dead-letter topic', async (t) => {
    if (h.lacks(t, 'deadLetter')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('dlq');
    const dlq = await broker.subscribe({
      topic: deadLetterTopicName(topic, 'sub'),
      subscription: 'inspect',
      subscriptionInitialPosition: 'Earliest',
    });
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
      nAckRedeliverTimeoutMs: h.timing.nackDelayMs,
      deadLetterPolicy: { maxRedeliverCount: 2 },
    });
    const [id] = await publish(broker, topic, 1, 'm', () => ({
      partitionKey: 'k',
      properties: { p: 'v' },
    }));
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await consumer.receive(h.timing.receiveTimeoutMs + h.timing.nackDelayMs);
      counts.push(m.getRedeliveryCount());
      consumer.negativeAcknowledge(m);
    }
    assert.deepEqual(counts, [0, 1, 2]);
    const dead = await dlq.receive(h.timing.receiveTimeoutMs + h.timing.nackDelayMs);
    assert.equal(text(dead), 'm-0');
    assert.equal(dead.getPartitionKey(), 'k');
    assert.equal(dead.getProperties().p, 'v');
    assert.equal(dead.getProperties()[RETRY_PROPERTIES.realTopic], topic);
    assert.equal(dead.getProperties()[RETRY_PROPERTIES.originMessageId], id.toString());
    await assertNothing(h, consumer, h.timing.nackDelayMs + h.timing.quietMs);
  });
}
