import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Consumer, Message } from '../../../src/broker/index.js';
import {
  type Harness,
  assertNothing,
  expectBrokerError,
  publish,
  range,
  receiveN,
  text,
} from './harness.js';

/** Receives from several consumers in turn until `count` messages arrived in total. */
async function drainAll(h: Harness, consumers: Consumer[], count: number, ack = true) {
  const got = new Map<Consumer, Message[]>(consumers.map((c) => [c, []]));
  let total = 0;
  const deadline = Date.now() + h.timing.receiveTimeoutMs * 3;
  while (total < count) {
    if (Date.now() > deadline) assert.fail(`received ${total} of ${count}`);
    for (const c of consumers) {
      try {
        const m = await c.receive(50);
        got.get(c)!.push(m);
        if (ack) await c.acknowledge(m);
        total++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'Timeout') throw err;
      }
    }
  }
  return got;
}

export function subscriptionTypeTests(h: Harness): void {
  test('Exclusive refuses a second consumer with ConsumerBusy', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('exclusive');
    const first = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Exclusive',
    });
    await expectBrokerError(
      broker.subscribe({ topic, subscription: 'sub', subscriptionType: 'Exclusive' }),
      'ConsumerBusy',
    );
    await first.close();
    const second = await broker.subscribe({
      topic,
      subscription: 'sub',
      subscriptionType: 'Exclusive',
    });
    await second.close();
  });

  test('Shared spreads messages over consumers, each message once', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('shared');
    const opts = {
      topic,
      subscription: 'sub',
      subscriptionType: 'Shared' as const,
      receiverQueueSize: 10,
    };
    const a = await broker.subscribe(opts);
    const b = await broker.subscribe(opts);
    await publish(broker, topic, 100);
    const got = await drainAll(h, [a, b], 100);
    const all = [...got.get(a)!, ...got.get(b)!].map(text).sort();
    assert.deepEqual(all, range(100).sort());
    assert.ok(got.get(a)!.length > 0 && got.get(b)!.length > 0, 'both consumers got messages');
    await assertNothing(h, a, 100);
  });

  test('Shared dispatch is bounded by receiver queue permits; a closed consumer’s messages move on', async (t) => {
    const { broker } = await h.open(t);
    const topic = h.topic('permits');
    const base = { topic, subscription: 'sub', subscriptionType: 'Shared' as const };
    const idle = await broker.subscribe({ ...base, receiverQueueSize: 5 });
    const busy = await broker.subscribe({ ...base, receiverQueueSize: 100 });
    await publish(broker, topic, 60);
    const got: Message[] = [];
    // The idle consumer can hold only its queue; everything else must reach the busy one.
    for (;;) {
      try {
        got.push(await busy.receive(h.timing.quietMs * 2));
      } catch {
        break;
      }
    }
    assert.ok(got.length >= 50, `busy consumer got ${got.length} of 60`);
    assert.ok(got.length < 60, 'idle consumer held some messages');
    await idle.close();
    got.push(...(await receiveN(h, busy, 60 - got.length)));
    assert.deepEqual(got.map(text).sort(), range(60).sort());
  });

  test('Failover delivers to one active consumer and fails over on close', async (t) => {
    if (h.lacks(t, 'failover')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('failover');
    const base = { topic, subscription: 'sub', subscriptionType: 'Failover' as const };
    const a = await broker.subscribe({ ...base, consumerName: 'a-first' });
    const b = await broker.subscribe({ ...base, consumerName: 'b-second' });
    await publish(broker, topic, 10);
    // Which consumer is active is the backend's choice (Pulsar hashes the topic name for a
    // non-partitioned topic); exactly one of them must get everything.
    const got = await drainAll(h, [a, b], 10, false);
    const active = got.get(a)!.length > 0 ? a : b;
    const standby = active === a ? b : a;
    assert.deepEqual(got.get(active)!.map(text), range(10));
    assert.equal(got.get(standby)!.length, 0, 'the standby consumer got messages');
    for (const m of got.get(active)!.slice(0, 4)) await active.acknowledge(m);
    await active.close();
    const moved = await receiveN(h, standby, 6);
    assert.deepEqual(moved.map(text), range(10).slice(4));
  });

  test('KeyShared keeps each key on one consumer, in order', async (t) => {
    if (h.lacks(t, 'keyShared')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('keyshared');
    const base = {
      topic,
      subscription: 'sub',
      subscriptionType: 'KeyShared' as const,
      receiverQueueSize: 20,
    };
    const a = await broker.subscribe({ ...base, consumerName: 'ks-a' });
    const b = await broker.subscribe({ ...base, consumerName: 'ks-b' });
    const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    const producer = await broker.createProducer({ topic });
    const sends = [];
    for (let round = 0; round < 20; round++) {
      for (const key of keys) {
        sends.push(producer.send({ data: Buffer.from(`${key}:${round}`), partitionKey: key }));
      }
    }
    await Promise.all(sends);
    const got = await drainAll(h, [a, b], keys.length * 20);
    const owner = new Map<string, Consumer>();
    const lastRound = new Map<string, number>();
    for (const [c, msgs] of got) {
      for (const m of msgs) {
        const [key, round] = text(m).split(':');
        assert.equal(m.getPartitionKey(), key);
        if (owner.has(key)) assert.equal(owner.get(key), c, `key ${key} moved between consumers`);
        owner.set(key, c);
        assert.equal(Number(round), (lastRound.get(key) ?? -1) + 1, `key ${key} out of order`);
        lastRound.set(key, Number(round));
      }
    }
    assert.equal(owner.size, keys.length);
    assert.ok(got.get(a)!.length > 0 && got.get(b)!.length > 0, 'keys spread over both consumers');
    await producer.close();
  });

  test('KeyShared uses the ordering key over the partition key', async (t) => {
    if (h.lacks(t, 'keyShared')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('ordering-key');
    const base = { topic, subscription: 'sub', subscriptionType: 'KeyShared' as const };
    const a = await broker.subscribe(base);
    const b = await broker.subscribe(base);
    const producer = await broker.createProducer({ topic });
    // Same ordering key, different partition keys: all must land on one consumer.
    for (let i = 0; i < 30; i++) {
      await producer.send({
        data: Buffer.from(String(i)),
        partitionKey: `p-${i}`,
        orderingKey: 'same',
      });
    }
    const got = await drainAll(h, [a, b], 30);
    const counts = [got.get(a)!.length, got.get(b)!.length].sort();
    assert.deepEqual(counts, [0, 30]);
    const all = [...got.get(a)!, ...got.get(b)!].map(text);
    assert.deepEqual(
      all,
      range(30, 'x').map((_, i) => String(i)),
    );
    await producer.close();
  });

  test('KeyShared keeps key order when a consumer joins while messages are unacked', async (t) => {
    if (h.lacks(t, 'keyShared')) return;
    const { broker } = await h.open(t);
    const topic = h.topic('keyshared-join');
    const base = { topic, subscription: 'sub', subscriptionType: 'KeyShared' as const };
    const first = await broker.subscribe({
      ...base,
      consumerName: 'ks-first',
      receiverQueueSize: 1000,
    });
    const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    const producer = await broker.createProducer({ topic });
    const send = (round: number) =>
      Promise.all(
        keys.map((key) =>
          producer.send({ data: Buffer.from(`${key}:${round}`), partitionKey: key }),
        ),
      );
    for (let round = 0; round < 5; round++) await send(round);
    // The first consumer holds rounds 0..4 unacked when the second one joins.
    const held = await receiveN(h, first, keys.length * 5);
    const second = await broker.subscribe({ ...base, consumerName: 'ks-second' });
    for (let round = 5; round < 10; round++) await send(round);
    const acked = new Set<string>();
    const check = (m: Message) => {
      const [key, round] = text(m).split(':');
      for (let r = 0; r < Number(round); r++) {
        assert.ok(
          acked.has(`${key}:${r}`),
          `${key}:${round} delivered before ${key}:${r} was acked`,
        );
      }
    };
    // Nothing newer may reach the second consumer while earlier messages are unacked.
    try {
      const early = await second.receive(h.timing.quietMs);
      check(early);
      assert.fail(`second consumer got ${text(early)} while the first held its keys unacked`);
    } catch (err) {
      if ((err as { code?: string }).code !== 'Timeout') throw err;
    }
    for (const m of held) {
      await first.acknowledge(m);
      acked.add(text(m));
    }
    const rest = keys.length * 5;
    let got = 0;
    const seen = new Map<Consumer, number>([
      [first, 0],
      [second, 0],
    ]);
    const deadline = Date.now() + h.timing.receiveTimeoutMs * 3;
    while (got < rest) {
      if (Date.now() > deadline) assert.fail(`received ${got} of ${rest}`);
      for (const c of [first, second]) {
        let m: Message;
        try {
          m = await c.receive(50);
        } catch (err) {
          if ((err as { code?: string }).code !== 'Timeout') throw err;
          continue;
        }
        check(m);
        await c.acknowledge(m);
        acked.add(text(m));
        seen.set(c, seen.get(c)! + 1);
        got++;
      }
    }
    assert.ok(seen.get(second)! > 0, 'some keys moved to the second consumer');
    await producer.close();
  });
}
