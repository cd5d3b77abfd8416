import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Harness, assertNothing, publish, range, receiveN, text } from './harness.js';

export function adminTests(h: Harness): void {
  test('admin lists topics and reports backlog per subscription', async (t) => {
    if (h.lacks(t, 'admin')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('stats');
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared',
    });
    await publish(broker, topic, 5);
    assert.ok((await broker.admin.listTopics()).includes(topic));
    let stats = await broker.admin.topicStats(topic);
    assert.equal(stats.topic, topic);
    assert.equal(stats.subscriptions.length, 1);
    assert.equal(stats.subscriptions[0].name, 'sub');
    assert.equal(stats.subscriptions[0].backlog, 5);
    assert.equal(stats.subscriptions[0].consumers, 1);
    const got = await receiveN(h, consumer, 5);
    await consumer.acknowledge(got[0]);
    await consumer.acknowledge(got[3]);
    stats = await broker.admin.topicStats(topic);
    assert.equal(stats.subscriptions[0].backlog, 3);
  });

  test('admin reads, deletes and purges messages of a topic', async (t) => {
    if (h.lacks(t, 'admin')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('dlq-tools');
    const ids = await publish(broker, topic, 6);
    const all = await broker.admin.readMessages(topic);
    assert.deepEqual(all.map(text), range(6));
    const page = await broker.admin.readMessages(topic, { after: ids[1], limit: 2 });
    assert.deepEqual(page.map(text), ['m-2', 'm-3']);
    assert.equal(await broker.admin.deleteMessages(topic, [ids[0], ids[4]]), 2);
    assert.deepEqual((await broker.admin.readMessages(topic)).map(text), [
      'm-1',
      'm-2',
      'm-3',
      'm-5',
    ]);
    assert.equal(await broker.admin.purge(topic), 4);
    assert.deepEqual(await broker.admin.readMessages(topic), []);
  });

  test('admin reads honour each limit and refuse one that is not a count', async (t) => {
    if (h.lacks(t, 'admin')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('read-limits');
    await publish(broker, topic, 5);
    // The same limits again, in another order: each answer is its own.
    for (const limit of [1, 3, 5, 9, 3, 1, 0])
      assert.deepEqual(
        (await broker.admin.readMessages(topic, { limit })).map(text),
        range(Math.min(limit, 5)),
        `limit ${limit}`,
      );
    for (const limit of [-1, 1.5, Number.NaN, Infinity])
      await assert.rejects(broker.admin.readMessages(topic, { limit }), {
        name: 'BrokerError',
        code: 'InvalidArgument',
      });
  });

  test('deleted messages leave the backlog of a subscription no consumer reads', async (t) => {
    if (h.lacks(t, 'admin')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('delete-idle');
    // A subscription kept only to retain the messages, as dead-letter topics have.
    const opts = {
      topic,
      subscription: 'keep',
      subscriptionType: 'Shared' as const,
      subscriptionInitialPosition: 'Earliest' as const,
    };
    await (await broker.subscribe(opts)).close();
    const ids = await publish(broker, topic, 4);
    assert.equal(await broker.admin.deleteMessages(topic, [ids[0], ids[2]]), 2);
    const stats = await broker.admin.topicStats(topic);
    assert.deepEqual(
      stats.subscriptions.map((s) => [s.name, s.backlog]),
      [['keep', 2]],
    );
    const reader = await broker.subscribe(opts);
    const left = await receiveN(h, reader, 2);
    assert.deepEqual(left.map(text), ['m-1', 'm-3']);
    for (const m of left) await reader.acknowledge(m);
    await assertNothing(h, reader);
  });
}
