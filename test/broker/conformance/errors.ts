import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerMessageId, type SubscriptionType } from '../../../src/broker/index.js';
import { type Harness, expectBrokerError, publish, receiveN } from './harness.js';

export function errorTests(h: Harness): void {
  test('an unknown subscription type is rejected with InvalidArgument', async (t) => {
    const { broker } = await h.open(t);
    await expectBrokerError(
      broker.subscribe({
        topic: h.topic('bad-type'),
        subscription: 'sub',
        subscriptionType: 'Broadcast' as SubscriptionType,
      }),
      'InvalidArgument',
    );
  });

  test('an empty subscription name, or one with "/", is rejected with InvalidArgument', async (t) => {
    const { broker } = await h.open(t);
    // Its retry and dead-letter topics are named after it: "a/b" would make no topic name.
    for (const subscription of ['', 'a/b'])
      await expectBrokerError(
        broker.subscribe({ topic: h.topic('bad-sub'), subscription, retryEnable: true }),
        'InvalidArgument',
      );
  });

  test('acking a message id of another topic is rejected with UnknownMessageId', async (t) => {
    const { broker } = await h.open(t);
    const mine = h.topic('mine');
    const other = h.topic('other');
    const consumer = await broker.subscribe({ topic: mine, subscription: 'sub' });
    const [foreign] = await publish(broker, other, 1);
    await expectBrokerError(consumer.acknowledgeId(foreign), 'UnknownMessageId');
    await expectBrokerError(
      consumer.acknowledgeId(new BrokerMessageId(987654321n, 5n)),
      'UnknownMessageId',
    );
  });

  test('send after close is rejected with AlreadyClosed; isClosed() says so', async (t) => {
    const { broker } = await h.open(t);
    const producer = await broker.createProducer({ topic: h.topic('closed') });
    assert.equal(producer.isClosed(), false);
    await producer.close();
    assert.equal(producer.isClosed(), true);
    await expectBrokerError(producer.send({ data: Buffer.from('x') }), 'AlreadyClosed');
  });

  test('a message with a property value that is not a string is rejected with InvalidArgument', async (t) => {
    const { broker } = await h.open(t);
    const producer = await broker.createProducer({ topic: h.topic('bad-props') });
    const bad = (properties: Record<string, unknown>) =>
      producer.send({ data: Buffer.from('x'), properties: properties as Record<string, string> });
    await expectBrokerError(bad({ n: 1 }), 'InvalidArgument');
    // Every value is checked, not only the first one.
    await expectBrokerError(bad({ ok: 'yes', n: 2, flag: true }), 'InvalidArgument');
    await producer.send({ data: Buffer.from('y'), properties: { ok: 'yes', also: '' } });
    await producer.close();
  });

  test('receive on a closed consumer is rejected with AlreadyClosed', async (t) => {
    const { broker } = await h.open(t);
    const consumer = await broker.subscribe({
      topic: h.topic('closed-consumer'),
      subscription: 's',
    });
    await consumer.close();
    await expectBrokerError(consumer.receive(100), 'AlreadyClosed');
  });

  test('a payload over the size limit is rejected with MessageTooBig', async (t) => {
    if (h.lacks(t, 'maxMessageSize')) return;
    const { broker } = await h.open(t);
    const producer = await broker.createProducer({ topic: h.topic('too-big') });
    const big = Buffer.alloc(h.features.maxMessageSize! + 1);
    await expectBrokerError(producer.send({ data: big }), 'MessageTooBig');
    await producer.close();
  });

  test('receive with a timeout rejects with Timeout when nothing comes', async (t) => {
    const { broker } = await h.open(t);
    const consumer = await broker.subscribe({ topic: h.topic('timeout'), subscription: 's' });
    await expectBrokerError(consumer.receive(100), 'Timeout');
  });

  test('cumulative ack on a Shared subscription is rejected with NotAllowed', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('cumulative-shared');
    const consumer = await broker.subscribe({
      topic,
      subscription: 's',
      subscriptionType: 'Shared',
    });
    await publish(broker, topic, 1);
    const [m] = await receiveN(h, consumer, 1);
    await expectBrokerError(consumer.acknowledgeCumulative(m), 'NotAllowed');
  });
}
