import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';

const MONTH_MS = 30 * 24 * 3600 * 1000;

/** Counts setTimeout delays that overflowed (Node fires those after 1 ms, again and again). */
function overflowWarnings(t: { after(fn: () => unknown): void }): () => number {
  let n = 0;
  const onWarning = (w: Error) => {
    if (w.name === 'TimeoutOverflowWarning') n++;
  };
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  return () => n;
}

test('a message delayed by a month and a month-long ack timeout arm no overflowing timer', async (t) => {
  const warnings = overflowWarnings(t);
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const consumer = await broker.subscribe({
    topic: 'd1',
    subscription: 's',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
    ackTimeoutMs: 2 * MONTH_MS,
    nAckRedeliverTimeoutMs: 2 * MONTH_MS,
  });
  const producer = await broker.createProducer({ topic: 'd1' });
  await producer.send({ data: Buffer.from('later'), deliverAfter: MONTH_MS });
  await producer.send({ data: Buffer.from('at'), deliverAt: Date.now() + MONTH_MS });
  await producer.send({ data: Buffer.from('now') });
  const now = await consumer.receive(2000);
  assert.equal(now.getData().toString(), 'now');
  consumer.negativeAcknowledge(now);
  await assert.rejects(consumer.receive(300), (err: unknown) => isBrokerError(err, 'Timeout'));
  await new Promise((r) => setImmediate(r));
  assert.equal(warnings(), 0);
});

test('receive with a timeout longer than setTimeout allows waits instead of timing out at once', async (t) => {
  const warnings = overflowWarnings(t);
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const consumer = await broker.subscribe({
    topic: 'd2',
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const waiting = consumer.receive(2 * MONTH_MS);
  await new Promise((r) => setTimeout(r, 50));
  const producer = await broker.createProducer({ topic: 'd2' });
  await producer.send({ data: Buffer.from('x') });
  assert.equal((await waiting).getData().toString(), 'x');
  assert.equal(warnings(), 0);
});
