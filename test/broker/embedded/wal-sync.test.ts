import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { GroupCommitWriter } from '../../../src/broker/embedded/group-commit-writer.js';
import { openDatabase } from '../../../src/broker/embedded/schema.js';
import { resolveOptions } from '../../../src/broker/embedded/options.js';
import type { StoredMessage } from '../../../src/broker/embedded/stored-message.js';
import { WalSync } from '../../../src/broker/embedded/wal-sync.js';

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

/** A WalSync whose syncs complete only when the test says so. */
class HeldSync extends WalSync {
  held: Array<(err: Error | null) => void> = [];
  constructor() {
    super('/nonexistent');
  }
  private whenDoneFns: Array<() => void> = [];
  override after(done: (err: Error | null) => void): void {
    this.held.push(done);
  }
  override get running(): boolean {
    return this.held.length > 0;
  }
  override whenDone(fn: () => void): void {
    this.whenDoneFns.push(fn);
  }
  release(err: Error | null = null): void {
    for (const done of this.held.splice(0)) done(err);
    for (const fn of this.whenDoneFns.splice(0)) fn();
  }
}

function writerWithHeldSync(t: { after(fn: () => void): void }) {
  const options = resolveOptions({ dataDir: tempDir(t) });
  const db = openDatabase(options);
  t.after(() => db.close());
  const topicId = Number(
    db.prepare("INSERT INTO topics (name, created_at) VALUES ('t', 0)").run().lastInsertRowid,
  );
  const sync = new HeldSync();
  const events: string[] = [];
  const writer = new GroupCommitWriter(
    db,
    10_000,
    {
      onWritten: (_id, last) => events.push(`written ${last}`),
      onCommitted: (_id, recs: StoredMessage[]) => events.push(`committed ${recs.length}`),
    },
    sync,
  );
  const send = (n: number) =>
    new Promise<StoredMessage>((resolve, reject) =>
      writer.enqueue({
        rec: {
          topicId,
          topic: 't',
          entryId: 0,
          publishTime: 1,
          eventTime: 0,
          deliverAt: 0,
          partitionKey: undefined,
          orderingKey: undefined,
          properties: undefined,
          data: Buffer.from(String(n)),
        },
        propertiesJson: null,
        resolve,
        reject,
      }),
    );
  const reader = new Database(join(options.dataDir, 'broker.sqlite'), { readonly: true });
  t.after(() => reader.close());
  const stored = () =>
    (reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  return { writer, sync, events, send, stored };
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
