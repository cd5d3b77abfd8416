import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createEmbeddedBroker, isBrokerError, type Broker } from '../../../src/broker/index.js';

// A second broker on the data dir stands in for another process: SQLite's locks keep two
// connections of one process apart as they do two processes.

/** The broker's own error for a write the lock refused, SQLite's as its cause. */
const locked = (err: unknown) =>
  isBrokerError(err, 'Internal') && (err.cause as { code?: string }).code === 'SQLITE_BUSY';

async function open(t: TestContext, dataDir: string): Promise<Broker> {
  const broker = await createEmbeddedBroker({ dataDir, externalPollIntervalMs: 50 });
  t.after(() => broker.close());
  return broker;
}

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-guard-fail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Another connection holds the broker file's write lock for `ms` (longer than busy_timeout). */
function lockFileFor(dir: string, ms: number): Promise<void> {
  const locker = new Database(join(dir, 'broker.sqlite'));
  locker.exec('BEGIN IMMEDIATE');
  return sleep(ms).then(() => {
    locker.exec('ROLLBACK');
    locker.close();
  });
}

function storedMarkDelete(dir: string): number {
  const db = new Database(join(dir, 'broker.sqlite'), { readonly: true });
  try {
    return db
      .prepare("SELECT mark_delete FROM subscriptions WHERE name = 'work'")
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
}

test('a process that let a subscription go never writes its ack state again', async (t) => {
  const dir = dataDir(t);
  const a = await open(t, dir);
  const producer = await a.createProducer({ topic: 'jobs' });
  for (let i = 0; i < 10; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  const ca = await a.subscribe({
    topic: 'jobs',
    subscription: 'work',
    subscriptionInitialPosition: 'Earliest',
  });
  for (let i = 0; i < 5; i++) void ca.acknowledge(await ca.receive(5000)).catch(() => undefined);
  // A's last ack commit fails (the file is locked past the busy timeout); it lets go anyway.
  const unlocked = lockFileFor(dir, 700);
  await ca.close();
  await unlocked;
  const b = await open(t, dir);
  const cb = await b.subscribe({ topic: 'jobs', subscription: 'work' });
  for (let i = 0; i < 10; i++) await cb.acknowledge(await cb.receive(5000));
  await b.createProducer({ topic: 'jobs' }).then((p) => p.send({ data: Buffer.from('flush') }));
  assert.equal(storedMarkDelete(dir), 10);
  // A commits again (its own publish); the acks it could not store stay unwritten.
  await producer.send({ data: Buffer.from('m10') });
  await sleep(100);
  assert.equal(storedMarkDelete(dir), 10);
});

test('a subscribe that fails after taking the lock leaves the subscription free', async (t) => {
  const dir = dataDir(t);
  const a = await open(t, dir);
  await (
    await a.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Exclusive' })
  ).close();
  // The type change is a write: with the file locked, A's subscribe fails part-way.
  const unlocked = lockFileFor(dir, 600);
  await assert.rejects(
    a.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Shared' }),
    locked,
  );
  await unlocked;
  const b = await open(t, dir);
  const cb = await b.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Shared' });
  await cb.close();
});

test('an unsubscribe that fails lets the subscription go all the same', async (t) => {
  const dir = dataDir(t);
  const a = await open(t, dir);
  const ca = await a.subscribe({ topic: 'jobs', subscription: 'work' });
  const unlocked = lockFileFor(dir, 600);
  await assert.rejects(ca.unsubscribe(), locked);
  await unlocked;
  const b = await open(t, dir);
  await (await b.subscribe({ topic: 'jobs', subscription: 'work' })).close();
});
