import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../src/app/db/database.js';
import {
  DELIVERY_NOTE_TTL_MS,
  SqliteDeliveryJournal,
} from '../../src/app/pipeline/sqlite-delivery-journal.js';

function tempDb(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'magnetar.db');
}

const ref = (messageId: string, subscription = 'activity') => ({
  subscription,
  topic: 'persistent://public/default/user-events',
  messageId,
});

test('unfinished runs are counted across reopening the database; an ended run is forgotten', async (t) => {
  const file = tempDb(t);
  let db = openServiceDatabase(file);
  let journal = new SqliteDeliveryJournal(db);
  assert.equal(await journal.begin(ref('1:1:-1')), 0);
  assert.equal(await journal.begin(ref('1:2:-1')), 0);
  journal.end(ref('1:2:-1'));
  await new Promise((r) => setImmediate(r));
  db.close(); // as a crash would leave it: the first run never ended

  db = openServiceDatabase(file);
  journal = new SqliteDeliveryJournal(db);
  assert.equal(await journal.begin(ref('1:1:-1')), 1);
  assert.equal(await journal.begin(ref('1:1:-1')), 2);
  assert.equal(await journal.begin(ref('1:2:-1')), 0, 'ended runs are not counted');
  // Another subscription's run of the same message is its own.
  assert.equal(await journal.begin(ref('1:1:-1', 'recommendations')), 0);
  journal.end(ref('1:1:-1'));
  await new Promise((r) => setImmediate(r));
  assert.equal(await journal.begin(ref('1:1:-1')), 0);
  db.close();
});

test('runs starting together (one event-loop turn, one shared commit) are each noted', async (t) => {
  const db = openServiceDatabase(tempDb(t));
  t.after(() => db.close());
  const journal = new SqliteDeliveryJournal(db);
  const counts = await Promise.all(
    Array.from({ length: 200 }, (_, i) => journal.begin(ref(`1:${i}:-1`))),
  );
  assert.deepEqual(new Set(counts), new Set([0]));
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM consumer_runs').get() as { n: number }).n,
    200,
  );
});

test('notes older than the TTL are dropped when a journal opens', async (t) => {
  const file = tempDb(t);
  const db = openServiceDatabase(file);
  t.after(() => db.close());
  let now = Date.parse('2026-01-01T00:00:00Z');
  const journal = new SqliteDeliveryJournal(db, () => now);
  await journal.begin(ref('1:1:-1'));
  now += DELIVERY_NOTE_TTL_MS - 1000;
  await journal.begin(ref('1:2:-1'));
  now += 2000;
  const reopened = new SqliteDeliveryJournal(db, () => now);
  assert.equal(await reopened.begin(ref('1:1:-1')), 0, 'pruned');
  assert.equal(await reopened.begin(ref('1:2:-1')), 1, 'kept');
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
