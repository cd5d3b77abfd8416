import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedBroker, type Consumer, type Producer } from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';
import { drain } from './drain.js';

const cfg = {
  topic: 'ks',
  subscription: 's',
  subscriptionType: 'KeyShared' as const,
  subscriptionInitialPosition: 'Earliest' as const,
};

/** Receives (and acks) until nothing comes for `idleMs`; returns the partition keys. */
async function drainKeys(c: Consumer, ack = true, idleMs = 400): Promise<string[]> {
  return (await drain(c, { ack, idleMs })).map((m) => m.getPartitionKey() ?? '');
}

/** A message of key `retry` held back for an hour, as a retry with a long backoff is. */
function sendDelayedByAnHour(producer: Producer) {
  return producer.send({
    data: Buffer.from('later'),
    partitionKey: 'retry',
    deliverAfter: 3600_000,
  });
}

test('a message delayed by an hour does not hold back a Key_Shared consumer that joined after it', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const c1 = await broker.subscribe({ ...cfg, consumerName: 'c1' });
  const producer = await broker.createProducer({ topic: 'ks' });
  await sendDelayedByAnHour(producer);
  await new Promise((r) => setTimeout(r, 100)); // read into the subscription, held as delayed
  const c2 = await broker.subscribe({ ...cfg, consumerName: 'c2' });
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  for (const k of keys) await producer.send({ data: Buffer.from('x'), partitionKey: k });
  const [g1, g2] = await Promise.all([drainKeys(c1), drainKeys(c2)]);
  assert.ok(g2.length > 0, 'the newcomer gets its keys');
  assert.deepEqual([...g1, ...g2].sort(), [...keys].sort());
});

test('a Key_Shared consumer joining alone is not held behind the unacked messages it inherits', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const producer = await broker.createProducer({ topic: 'ks' });
  const c1 = await broker.subscribe({ ...cfg, consumerName: 'c1' });
  for (const k of ['a', 'b']) await producer.send({ data: Buffer.from('x'), partitionKey: k });
  assert.deepEqual(await drainKeys(c1, false), ['a', 'b']);
  await c1.close(); // a and b go back for redelivery
  const c2 = await broker.subscribe({ ...cfg, consumerName: 'c2' });
  await producer.send({ data: Buffer.from('x'), partitionKey: 'c' });
  assert.deepEqual(await drainKeys(c2, false), ['a', 'b', 'c']);
});

test('acks behind a delayed message let a Key_Shared newcomer proceed without further sends', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const c1 = await broker.subscribe({ ...cfg, consumerName: 'c1' });
  const producer = await broker.createProducer({ topic: 'ks' });
  await sendDelayedByAnHour(producer);
  await producer.send({ data: Buffer.from('x'), partitionKey: 'first' });
  const first = await c1.receive(2000);
  const c2 = await broker.subscribe({ ...cfg, consumerName: 'c2' });
  const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
  for (const k of keys) await producer.send({ data: Buffer.from('x'), partitionKey: k });
  await new Promise((r) => setTimeout(r, 200));
  // c1 acks and then stays idle: only the ack can release what waits for c2.
  await c1.acknowledge(first);
  const g2 = await drainKeys(c2, true, 1500);
  const g1 = await drainKeys(c1);
  assert.ok(g2.length > 0, 'the newcomer gets its keys');
  assert.deepEqual([...g1, ...g2].sort(), [...keys].sort());
});
