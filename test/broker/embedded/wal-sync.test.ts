import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { WalSync } from '../../../src/broker/embedded/wal-sync.js';
import { writerWithHeldSync as heldWriter } from './held-sync.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-wal-sync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('WalSync answers every request in order, and idle/close wait for the syncs under way', async (t) => {
  const file = join(tempDir(t), 'x.sqlite-wal');
  writeFileSync(file, 'frames');
  const sync = new WalSync(file);
  const order: number[] = [];
  const push = (n: number) => order.push(n);
  for (let i = 0; i < 5; i++)
    sync.after((err) => {
      assert.equal(err, null);
      order.push(i);
    });
  assert.deepEqual(order, [], 'the sync runs on the thread pool, not inline');
  await sync.idle();
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  sync.after(() => push(5));
  await sync.close();
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
});

test('WalSync reports a WAL that cannot be opened to every waiting request', async (t) => {
  const sync = new WalSync(join(tempDir(t), 'missing-wal'));
  const errors = await Promise.all(
    [1, 2].map(() => new Promise<Error | null>((resolve) => sync.after(resolve))),
  );
  for (const err of errors) assert.equal((err as NodeJS.ErrnoException).code, 'ENOENT');
});

function writerWithHeldSync(t: { after(fn: () => void): void }) {
  const w = heldWriter(t);
  return { ...w, stored: () => w.count('messages') };
}

test('with a WAL sync, sends resolve and consumers see the entries only after the sync', async (t) => {
  const { sync, events, send, stored } = writerWithHeldSync(t);
  let resolved = 0;
  const sends = [1, 2, 3].map((n) => send(n).then(() => resolved++));
  await new Promise((r) => setImmediate(r));
  assert.equal(stored(), 3, 'committed');
  assert.deepEqual(events, ['written 3'], 'delivery waits for the sync');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(resolved, 0, 'no receipt before the sync');
  sync.release();
  await Promise.all(sends);
  assert.deepEqual(events, ['written 3', 'committed 3']);
});

test('what is queued while a sync runs is committed once, when that sync ends', async (t) => {
  const { sync, events, send, stored } = writerWithHeldSync(t);
  const first = send(1);
  await new Promise((r) => setImmediate(r));
  assert.equal(stored(), 1);
  const later = [send(2)];
  await new Promise((r) => setImmediate(r));
  later.push(send(3));
  await new Promise((r) => setImmediate(r));
  assert.equal(stored(), 1, 'no commit while the sync runs');
  sync.release();
  await first;
  assert.equal(stored(), 3, 'both later turns in one commit');
  assert.deepEqual(events, ['written 1', 'committed 1', 'written 3']);
  sync.release();
  await Promise.all(later);
  assert.deepEqual(events, ['written 1', 'committed 1', 'written 3', 'committed 2']);
});

test('a failed WAL sync fails the sends with Internal, and still delivers the stored rows', async (t) => {
  const { sync, events, send, stored } = writerWithHeldSync(t);
  const sending = Promise.allSettled([send(1), send(2)]);
  await new Promise((r) => setImmediate(r));
  sync.release(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
  for (const r of await sending) {
    assert.equal(r.status, 'rejected');
    assert.ok(isBrokerError(r.reason, 'Internal'), String(r.reason));
  }
  assert.equal(stored(), 2);
  assert.deepEqual(events, ['written 2', 'committed 2']);
});

test('FULL and NORMAL store ticks of every size with contiguous ids and intact payloads', async (t) => {
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const broker = await createEmbeddedBroker({ dataDir: tempDir(t), synchronous });
    const producer = await broker.createProducer({ topic: `sizes-${synchronous}` });
    let next = 0;
    for (const size of [1, 2, 63, 64, 65, 130]) {
      const batch = Array.from({ length: size }, () => next++);
      const ids = await Promise.all(
        batch.map((n) => producer.send({ data: Buffer.from(`m${n}`), properties: { n: `${n}` } })),
      );
      assert.deepEqual(
        ids.map((id) => Number(id.entryId)),
        batch.map((n) => n + 1),
      );
    }
    const read = await broker.admin.readMessages(`sizes-${synchronous}`, { limit: 1000 });
    assert.equal(read.length, next);
    read.forEach((m, i) => {
      assert.equal(m.getData().toString(), `m${i}`);
      assert.equal(m.getProperties().n, `${i}`);
    });
    await broker.close();
  }
});
