import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createEmbeddedBroker, type Message, type MessageId } from '../../../src/broker/index.js';
import { openBroker, second } from './second-process-runner.js';

const open = (t: TestContext) => openBroker(t, 'magnetar-second-');

test('messages published by another process reach the running broker’s consumers', async (t) => {
  const { dataDir, broker } = await open(t);
  const consumer = await broker.subscribe({ topic: 'shared-file', subscription: 's' });
  const ids = await second('publish', dataDir, 'shared-file', '50', 'cli');
  assert.equal(ids.length, 50);
  const got: Message[] = [];
  for (let i = 0; i < 50; i++) got.push(await consumer.receive(5000));
  assert.deepEqual(
    got.map((m) => m.getMessageId().toString()),
    ids,
  );
  assert.deepEqual(
    got.map((m) => m.getData().toString()),
    Array.from({ length: 50 }, (_, i) => `cli-${i}`),
  );
});

test('two processes publishing at once get distinct ids, each in its own order', async (t) => {
  const { dataDir, broker } = await open(t);
  const producer = await broker.createProducer({ topic: 'both', maxPendingMessages: 0 });
  const theirs = second('publish', dataDir, 'both', '2000', 'cli');
  let done = false;
  void theirs.finally(() => (done = true));
  // Keep publishing from this process until the other one has finished.
  const mine: MessageId[] = [];
  while (!done || mine.length < 100) {
    const batch: Promise<MessageId>[] = [];
    for (let i = 0; i < 20; i++) {
      const n = mine.length + batch.length;
      batch.push(producer.send({ data: Buffer.from(`main-${n}`), partitionKey: 'main' }));
    }
    mine.push(...(await Promise.all(batch)));
  }
  await theirs;
  const all: Message[] = [];
  for (;;) {
    const page = await broker.admin.readMessages('both', {
      limit: 1000,
      after: all.at(-1)?.getMessageId(),
    });
    if (page.length === 0) break;
    all.push(...page);
  }
  const total = mine.length + 2000;
  assert.equal(all.length, total);
  assert.equal(new Set(all.map((m) => m.getMessageId().toString())).size, total);
  for (const [who, count] of [
    ['main', mine.length],
    ['cli', 2000],
  ] as const) {
    const seq = all.filter((m) => m.getPartitionKey() === who).map((m) => m.getData().toString());
    assert.deepEqual(
      seq,
      Array.from({ length: count }, (_, i) => `${who}-${i}`),
    );
  }
  t.diagnostic(`this process published ${mine.length} while the other published 2000`);
});

test('admin deletes from another process are seen by the running broker', async (t) => {
  const { dataDir, broker } = await open(t);
  const producer = await broker.createProducer({ topic: 'dlq-like' });
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await producer.send({ data: Buffer.from(String(i)) }));
  assert.deepEqual(await second('delete', dataDir, 'dlq-like', ids[1].toString()), ['1']);
  const left = await broker.admin.readMessages('dlq-like');
  assert.deepEqual(
    left.map((m) => m.getData().toString()),
    ['0', '2'],
  );
});

test('a running broker notices another process’s commit through the WAL watch, not the poll', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-second-'));
  // A poll this slow cannot explain a delivery within milliseconds: only the watch can.
  const broker = await createEmbeddedBroker({ dataDir, externalPollIntervalMs: 10_000 });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const consumer = await broker.subscribe({ topic: 'watched', subscription: 's' });
  const count = 20;
  const publishing = second('trickle', dataDir, 'watched', String(count), '30');
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const m = await consumer.receive(5000);
    delays.push(Date.now() - m.getPublishTimestamp());
    assert.equal(m.getData().toString(), `trickle-${i}`);
    await consumer.acknowledge(m);
  }
  await publishing;
  delays.sort((a, b) => a - b);
  const median = delays[Math.floor(count / 2)];
  t.diagnostic(`publish-to-receive across processes: median ${median} ms, max ${delays.at(-1)} ms`);
  assert.ok(median < 200, `median ${median} ms: the WAL watch did not wake the broker`);
});
