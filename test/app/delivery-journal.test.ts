import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../src/app/db/database.js';
import {
  DELIVERY_NOTE_TTL_MS,
  SqliteDeliveryJournal,
} from '../../src/app/pipeline/sqlite-delivery-journal.js';

function tempDb(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'magnetar.db');
}

const ref = (messageId: string, subscription = 'activity', publishTime = 1_700_000_000_000) => ({
  subscription,
  topic: 'persistent://public/default/user-events',
  messageId,
  publishTime,
});
const turn = () => new Promise((r) => setImmediate(r));

test('unfinished runs, and those alone, are counted across reopening; an ended run is forgotten', async (t) => {
  const file = tempDb(t);
  let db = openServiceDatabase(file);
  let journal = new SqliteDeliveryJournal(db);
  assert.deepEqual(await journal.begin(ref('1:1:-1')), { unfinished: 0, unfinishedAlone: 0 });
  assert.deepEqual(await journal.begin(ref('1:2:-1')), { unfinished: 0, unfinishedAlone: 0 });
  journal.end(ref('1:2:-1'));
  await turn();
  db.close(); // as a crash would leave it: the first run never ended

  db = openServiceDatabase(file);
  journal = new SqliteDeliveryJournal(db);
  assert.deepEqual(await journal.begin(ref('1:1:-1')), { unfinished: 1, unfinishedAlone: 0 });
  await journal.beginAlone(ref('1:1:-1'));
  db.close(); // and the lone run did not end either

  db = openServiceDatabase(file);
  journal = new SqliteDeliveryJournal(db);
  assert.deepEqual(await journal.begin(ref('1:1:-1')), { unfinished: 2, unfinishedAlone: 1 });
  assert.equal((await journal.begin(ref('1:2:-1'))).unfinished, 0, 'ended runs do not count');
  // Another subscription's run of the same message is its own, as is a message with the same
  // id published at another time (a broker whose ids started over).
  assert.equal((await journal.begin(ref('1:1:-1', 'recommendations'))).unfinished, 0);
  assert.equal((await journal.begin(ref('1:1:-1', 'activity', 1))).unfinished, 0);
  journal.end(ref('1:1:-1'));
  await turn();
  assert.equal((await journal.begin(ref('1:1:-1'))).unfinished, 0);
  db.close();
});

test('runs starting together (one event-loop turn, one shared commit) are each noted', async (t) => {
  const db = openServiceDatabase(tempDb(t));
  t.after(() => db.close());
  const journal = new SqliteDeliveryJournal(db);
  const counts = await Promise.all(
    Array.from({ length: 200 }, (_, i) => journal.begin(ref(`1:${i}:-1`))),
  );
  assert.ok(counts.every((c) => c.unfinished === 0));
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM consumer_runs').get() as { n: number }).n,
    200,
  );
});

test('ended runs leave nothing in the table', async (t) => {
  const db = openServiceDatabase(tempDb(t));
  t.after(() => db.close());
  const journal = new SqliteDeliveryJournal(db);
  const refs = Array.from({ length: 300 }, (_, i) => ref(`1:${i}:-1`));
  await Promise.all(refs.map((r) => journal.begin(r)));
  for (const r of refs) journal.end(r);
  await journal.begin(ref('2:0:-1')); // one run still going
  const rows = db.prepare('SELECT message_id, starts FROM consumer_runs').all();
  assert.deepEqual(rows, [{ message_id: '2:0:-1', starts: 1 }]);
});

test('notes older than the TTL are dropped when a journal opens', async (t) => {
  const db = openServiceDatabase(tempDb(t));
  t.after(() => db.close());
  let now = Date.parse('2026-01-01T00:00:00Z');
  const journal = new SqliteDeliveryJournal(db, () => now);
  await journal.begin(ref('1:1:-1'));
  now += DELIVERY_NOTE_TTL_MS - 1000;
  await journal.begin(ref('1:2:-1'));
  now += 2000;
  const reopened = new SqliteDeliveryJournal(db, () => now);
  assert.equal((await reopened.begin(ref('1:1:-1'))).unfinished, 0, 'pruned');
  assert.equal((await reopened.begin(ref('1:2:-1'))).unfinished, 1, 'kept');
});

test('a table of an older layout is made again', async (t) => {
  const db = openServiceDatabase(tempDb(t));
  t.after(() => db.close());
  db.exec(`CREATE TABLE consumer_runs (subscription TEXT NOT NULL, topic TEXT NOT NULL,
    message_id TEXT NOT NULL, starts INTEGER NOT NULL, last_start_ms INTEGER NOT NULL,
    PRIMARY KEY (subscription, topic, message_id)) WITHOUT ROWID`);
  const journal = new SqliteDeliveryJournal(db);
  assert.equal((await journal.begin(ref('1:1:-1'))).unfinished, 0);
  assert.equal((await journal.begin(ref('1:1:-1'))).unfinished, 1);
});

test('opening waits for another process that holds the write lock for a second', async (t) => {
  const file = tempDb(t);
  openServiceDatabase(file).close();
  // Another process takes the write lock and keeps it for 1 s.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
       db.exec('BEGIN IMMEDIATE'); console.log('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
  const db = openServiceDatabase(file); // reads only; its busy timeout is 250 ms after this
  t.after(() => db.close());
  const journal = new SqliteDeliveryJournal(db);
  assert.equal((await journal.begin(ref('1:1:-1'))).unfinished, 0);
});
