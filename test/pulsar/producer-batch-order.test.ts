import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { javaConsume } from '../helpers/pulsar.js';
import { clientFor, collectFrom, freshTopic, receiveN, text } from './client-fixture.js';

const KEYS = ['A', 'B', 'C', 'D', 'E', 'F'];
const sent = Array.from({ length: 24 }, (_, i) => `${i}-${KEYS[i % KEYS.length]}`);

test('batchingType: by default send order across keys, for our reader and Java; KeyBasedBatching per key', async (t) => {
  await defaultKeepsSendOrder(t);
  await keyBasedKeepsKeysApart(t);
});

async function defaultKeepsSendOrder(t: TestContext): Promise<void> {
  const client = await clientFor(t);
  const topic = freshTopic('batch-order');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await client.createProducer({ topic, batchingMaxPublishDelayMs: 100 });
  const ids = await Promise.all(
    sent.map((s) => producer.send({ data: Buffer.from(s), partitionKey: s.split('-')[1] })),
  );
  assert.ok(
    ids.every((id) => id.entryId === ids[0].entryId),
    'all in one batch',
  );
  const got = await receiveN(consumer, sent.length);
  assert.deepEqual(got.map(text), sent);
  assert.deepEqual(
    got.map((m) => m.getPartitionKey()),
    sent.map((s) => s.split('-')[1]),
  );
  const java = await javaConsume(topic, 'java', sent.length, { timeoutMs: 120_000 });
  assert.deepEqual(
    java.map((m) => m.payload),
    sent,
  );
}

/** Key batches: one entry per key, each key in order and on one Key_Shared consumer. */
async function keyBasedKeepsKeysApart(t: TestContext): Promise<void> {
  const client = await clientFor(t);
  const topic = freshTopic('key-batches');
  const base = {
    topic,
    subscription: 'ks',
    subscriptionType: 'KeyShared' as const,
    subscriptionInitialPosition: 'Earliest' as const,
  };
  const a = await client.subscribe({ ...base, consumerName: 'a' });
  const b = await client.subscribe({ ...base, consumerName: 'b' });
  const producer = await client.createProducer({
    topic,
    batchingType: 'KeyBasedBatching',
    batchingMaxPublishDelayMs: 100,
  });
  const ids = await Promise.all(
    sent.map((s) => producer.send({ data: Buffer.from(s), partitionKey: s.split('-')[1] })),
  );
  const entries = new Set(ids.map((id) => id.entryId));
  assert.equal(entries.size, KEYS.length, 'one batch per key');
  const got = await collectFrom([a, b], sent.length);
  const owner = new Map<string, number>();
  got.forEach((msgs, c) => {
    for (const m of msgs) {
      const key = m.getPartitionKey()!;
      assert.equal(owner.get(key) ?? c, c, `key ${key} on both consumers`);
      owner.set(key, c);
    }
    for (const key of KEYS) {
      const ofKey = msgs.map(text).filter((s) => s.endsWith(`-${key}`));
      assert.deepEqual(ofKey, ofKey.length ? sent.filter((s) => s.endsWith(`-${key}`)) : []);
    }
  });
  assert.equal(owner.size, KEYS.length);
}
