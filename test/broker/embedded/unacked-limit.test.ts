import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';

test('a Shared consumer holding maxUnacked messages gets no more until it acks half', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-unacked-'));
  const broker = await createEmbeddedBroker({ dataDir, maxUnackedMessagesPerConsumer: 10 });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const consumer = await broker.subscribe({
    topic: 'u',
    subscription: 's',
    subscriptionType: 'Shared',
  });
  const producer = await broker.createProducer({ topic: 'u' });
  for (let i = 0; i < 30; i++) await producer.send({ data: Buffer.from(String(i)) });
  const held = [];
  for (let i = 0; i < 10; i++) held.push(await consumer.receive(1000));
  await assert.rejects(consumer.receive(300), (err) => isBrokerError(err, 'Timeout'));
  for (const m of held.slice(0, 4)) await consumer.acknowledge(m);
  // Still blocked at 6 unacked, even when new messages arrive.
  await producer.send({ data: Buffer.from('late') });
  await assert.rejects(consumer.receive(300), (err) => isBrokerError(err, 'Timeout'));
  await consumer.acknowledge(held[4]);
  const next = await consumer.receive(1000);
  assert.equal(next.getData().toString(), '10');
});

test('Exclusive consumers are not limited by maxUnacked', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-unacked-'));
  const broker = await createEmbeddedBroker({ dataDir, maxUnackedMessagesPerConsumer: 10 });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const consumer = await broker.subscribe({ topic: 'x', subscription: 's' });
  const producer = await broker.createProducer({ topic: 'x' });
  for (let i = 0; i < 30; i++) await producer.send({ data: Buffer.from(String(i)) });
  for (let i = 0; i < 30; i++) await consumer.receive(1000);
});
