import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GroupWriter } from '../../src/app/db/group-writer.js';

function openDb(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-group-writer-'));
  const db = new Database(join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY CHECK (v >= 0)) STRICT');
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return db;
}

test('concurrent writes of one turn share a transaction and resolve after commit', async (t) => {
  const db = openDb(t);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  // Count transactions the writer runs.
  let transactions = 0;
  const realTransaction = db.transaction.bind(db);
  db.transaction = ((fn: (...a: never[]) => unknown) => {
    const tx = realTransaction(fn);
    return (...args: never[]) => {
      transactions++;
      return tx(...args);
    };
  }) as typeof db.transaction;
  const writer = new GroupWriter(db, (v: number) => {
    assert.ok(db.inTransaction);
    return insert.run(v).changes;
  });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => writer.write(i)));
  assert.deepEqual(results, Array(100).fill(1));
  assert.equal((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 100);
  assert.equal(transactions, 1);
  await Promise.all([writer.write(100), writer.write(101)]);
  assert.equal(transactions, 2);
});

test('a failing item fails alone; the rest of its batch is committed', async (t) => {
  const db = openDb(t);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const writer = new GroupWriter(db, (v: number) => insert.run(v).changes);
  const outcomes = await Promise.allSettled([1, 2, -1, 3].map((v) => writer.write(v)));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
  const values = db.prepare('SELECT v FROM t ORDER BY v').pluck().all();
  assert.deepEqual(values, [1, 2, 3]);
});

/** Holds the write lock on `db`'s file from another connection until the returned release. */
function lockFromElsewhere(db: Database.Database): () => void {
  const other = new Database(db.name);
  other.exec('BEGIN IMMEDIATE');
  return () => {
    other.exec('ROLLBACK');
    other.close();
  };
}

test('writes that find the database locked wait off the event loop and commit once it is free', async (t) => {
  const db = openDb(t);
  db.pragma('busy_timeout = 20');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const writer = new GroupWriter(db, (v: number) => insert.run(v).changes);
  const release = lockFromElsewhere(db);
  const writes = [writer.write(1), writer.write(2)];
  // The loop keeps turning while the writes wait: timers fire on time.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  await new Promise((r) => setTimeout(r, 400));
  clearInterval(ticker);
  assert.ok(ticks >= 10, `timers fired ${ticks} times in 400 ms`);
  writes.push(writer.write(3));
  release();
  assert.deepEqual(await Promise.all(writes), [1, 1, 1]);
  assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 2, 3]);
});

test('writes locked out for more than 5 s fail with SQLITE_BUSY', async (t) => {
  const db = openDb(t);
  db.pragma('busy_timeout = 20');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const writer = new GroupWriter(db, (v: number) => insert.run(v).changes);
  const release = lockFromElsewhere(db);
  t.after(release);
  await assert.rejects(writer.write(1), { code: 'SQLITE_BUSY' });
});
