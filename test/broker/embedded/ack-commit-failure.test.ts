import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBrokerError } from '../../../src/broker/index.js';
import { Subscription } from '../../../src/broker/embedded/subscription.js';
import { CacheBudget, Topic } from '../../../src/broker/embedded/topic.js';
import { writerWithHeldSync } from './held-sync.js';

/** A real subscription on the helper's writer, and a second connection to hold the write lock. */
function setup(t: { after(fn: () => unknown): void }) {
  const w = writerWithHeldSync(t);
  const topic = new Topic(w.db, w.topicId, 't', 0, new CacheBudget(1 << 20));
  const sub = new Subscription(
    topic,
    { id: w.subId, name: 's', type: 'Exclusive', markDelete: 0, acked: [] },
    w.writer,
    () => Date.now(),
  );
  t.after(() => sub.stop());
  // Fail at once instead of waiting out the 5 s busy timeout.
  w.db.pragma('busy_timeout = 0');
  const other = new Database(join(w.dataDir, 'broker.sqlite'));
  t.after(() => {
    other.close();
  });
  const markDelete = () =>
    (
      other.prepare('SELECT mark_delete FROM subscriptions WHERE id = ?').get(w.subId) as {
        mark_delete: number;
      }
    ).mark_delete;
  return { ...w, sub, other, markDelete };
}

test('an ack whose commit failed on a busy database is written by the next commit', async (t) => {
  const { sub, writer, other, count, sync } = setup(t);
  other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
  assert.equal(sub.ack(2), true);
  await assert.rejects(writer.nextCommit(), (err: unknown) => isBrokerError(err, 'Internal'));
  other.exec('COMMIT');
  // Retried: already acked in memory, so it only waits for the next commit.
  assert.equal(sub.ack(2), false);
  const retried = writer.nextCommit();
  await new Promise((r) => setImmediate(r));
  sync.release();
  await retried;
  assert.equal(count('acks'), 1, 'the ack is stored');
});

test('a cumulative ack whose commit failed is written by the next commit', async (t) => {
  const { sub, writer, other, markDelete, sync } = setup(t);
  other.exec('BEGIN IMMEDIATE');
  sub.ackCumulative(3);
  await assert.rejects(writer.nextCommit(), (err: unknown) => isBrokerError(err, 'Internal'));
  other.exec('COMMIT');
  assert.equal(markDelete(), 0);
  const retried = writer.nextCommit();
  await new Promise((r) => setImmediate(r));
  sync.release();
  await retried;
  assert.equal(markDelete(), 3, 'the mark-delete position is stored');
});
