import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Harness, assertNothing, publish, range, receiveN, text } from './harness.js';

export function durabilityTests(h: Harness): void {
  test('messages, cursors and individual acks survive a broker restart', async (t) => {
    if (h.lacks(t, 'restart')) return;
    const env = await h.open(t);
    assert.ok(env.restart, 'features.restart needs a restart() from the factory');
    const topic = h.topic('restart');
    const opts = {
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared' as const,
      subscriptionInitialPosition: 'Earliest' as const,
    };
    await publish(env.broker, topic, 20);
    const before = await env.broker.subscribe(opts);
    const got = await receiveN(h, before, 12);
    // Ack the first 8 in a row, then 10 alone: the cursor and one individual ack to keep.
    for (const m of got.slice(0, 8)) await before.acknowledge(m);
    await before.acknowledge(got[10]);
    await before.close();
    const broker = await env.restart();
    const after = await broker.subscribe(opts);
    const rest = await receiveN(h, after, 11);
    const expected = range(20).filter((_, i) => i >= 8 && i !== 10);
    assert.deepEqual(rest.map(text).sort(), expected.sort());
    for (const m of rest) await after.acknowledge(m);
    await assertNothing(h, after);
    await publish(broker, topic, 2, 'new');
    assert.deepEqual((await receiveN(h, after, 2)).map(text), range(2, 'new'));
  });

  test('a subscription created before a restart keeps messages published while no consumer ran', async (t) => {
    if (h.lacks(t, 'restart')) return;
    const env = await h.open(t);
    const topic = h.topic('restart-offline');
    const c = await env.broker.subscribe({ topic, subscription: 'sub' });
    await c.close();
    await publish(env.broker, topic, 5);
    const broker = await env.restart!();
    const again = await broker.subscribe({ topic, subscription: 'sub' });
    assert.deepEqual((await receiveN(h, again, 5)).map(text), range(5));
  });

  test('unsubscribe deletes the subscription and its backlog', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('unsubscribe');
    const first = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionInitialPosition: 'Earliest',
    });
    await publish(broker, topic, 3, 'old');
    await receiveN(h, first, 3);
    await first.unsubscribe();
    assert.equal(first.isConnected(), false);
    const again = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionInitialPosition: 'Latest',
    });
    await assertNothing(h, again);
    await publish(broker, topic, 1, 'new');
    assert.deepEqual((await receiveN(h, again, 1)).map(text), ['new-0']);
  });

  test('producer flush resolves once earlier sends are stored', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('flush');
    const producer = await broker.createProducer({ topic });
    const sends = [0, 1, 2].map((i) => producer.send({ data: Buffer.from(`m-${i}`) }));
    await producer.flush();
    const ids = await Promise.all(sends);
    assert.equal(ids.length, 3);
    const consumer = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionInitialPosition: 'Earliest',
    });
    assert.deepEqual((await receiveN(h, consumer, 3)).map(text), range(3));
    await producer.close();
  });

  test('acks not awaited before a restart are kept', async (t) => {
    if (h.lacks(t, 'restart')) return;
    const env = await h.open(t);
    const topic = h.topic('restart-acks');
    const opts = { topic, subscription: 'sub', subscriptionInitialPosition: 'Earliest' as const };
    await publish(env.broker, topic, 4);
    const before = await env.broker.subscribe(opts);
    const got = await receiveN(h, before, 4);
    for (const m of got.slice(0, 3)) void before.acknowledge(m);
    await before.close();
    const broker = await env.restart!();
    const after = await broker.subscribe(opts);
    assert.deepEqual((await receiveN(h, after, 1)).map(text), ['m-3']);
    await assertNothing(h, after);
  });
}
