import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedBroker, type EmbeddedBrokerOptions } from '../../../src/broker/index.js';

async function open(t: TestContext, options: Partial<EmbeddedBrokerOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-retention-'));
  const broker = await createEmbeddedBroker({ dataDir, retentionIntervalMs: 50, ...options });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return broker;
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await sleep(25);
  }
}

test('messages acked by every subscription are deleted; others are kept', async (t) => {
  const broker = await open(t);
  const fast = await broker.subscribe({
    topic: 'r',
    subscription: 'fast',
    subscriptionType: 'Shared',
  });
  const slow = await broker.subscribe({
    topic: 'r',
    subscription: 'slow',
    subscriptionType: 'Shared',
  });
  const producer = await broker.createProducer({ topic: 'r' });
  for (let i = 0; i < 10; i++) await producer.send({ data: Buffer.from(String(i)) });
  for (let i = 0; i < 10; i++) await fast.acknowledge(await fast.receive(1000));
  await sleep(200);
  assert.equal((await broker.admin.topicStats('r')).messages, 10, 'slow still needs them');
  for (let i = 0; i < 4; i++) await slow.acknowledge(await slow.receive(1000));
  await until(async () => (await broker.admin.topicStats('r')).messages === 6);
  const left = await broker.admin.readMessages('r');
  assert.deepEqual(
    left.map((m) => m.getData().toString()),
    ['4', '5', '6', '7', '8', '9'],
  );
});

test('a topic without subscriptions keeps its messages', async (t) => {
  const broker = await open(t);
  const producer = await broker.createProducer({ topic: 'keep' });
  for (let i = 0; i < 3; i++) await producer.send({ data: Buffer.from(String(i)) });
  await sleep(200);
  assert.equal((await broker.admin.topicStats('keep')).messages, 3);
});

test('retention time keeps acked messages until they are old enough', async (t) => {
  // Long enough that a busy machine still checks within it (400 ms was not, under load).
  const broker = await open(t, { retentionMs: 2000 });
  const c = await broker.subscribe({ topic: 'aged', subscription: 's' });
  const producer = await broker.createProducer({ topic: 'aged' });
  await producer.send({ data: Buffer.from('x') });
  await c.acknowledge(await c.receive(1000));
  await sleep(150);
  assert.equal((await broker.admin.topicStats('aged')).messages, 1);
  await until(async () => (await broker.admin.topicStats('aged')).messages === 0, 10_000);
});
