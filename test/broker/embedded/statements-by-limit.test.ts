import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { StatementsByLimit } from '../../../src/broker/embedded/statements-by-limit.js';

function openDb(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-limit-'));
  const db = new Database(join(dir, 'x.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)');
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
  for (let n = 1; n <= 10; n++) insert.run(n);
  return db;
}

test('each limit gets one statement with the LIMIT in its SQL, reused on later calls', (t) => {
  const db = openDb(t);
  const q = new StatementsByLimit<[number], { n: number }>(
    db,
    'SELECT n FROM t WHERE n > ? ORDER BY n',
  );
  const three = q.limit(3);
  assert.equal(three.source, 'SELECT n FROM t WHERE n > ? ORDER BY n LIMIT 3');
  assert.deepEqual(
    three.all(4).map((r) => r.n),
    [5, 6, 7],
  );
  assert.equal(q.limit(3), three);
  assert.deepEqual(q.limit(0).all(0), []);
  assert.deepEqual(
    q
      .limit(20)
      .all(8)
      .map((r) => r.n),
    [9, 10],
  );
});

test('past maxCached distinct limits, statements are prepared per call and not kept', (t) => {
  const db = openDb(t);
  const q = new StatementsByLimit<[number], { n: number }>(db, 'SELECT n FROM t WHERE n > ?', 2);
  const one = q.limit(1);
  const two = q.limit(2);
  const three = q.limit(3);
  assert.notEqual(q.limit(3), three);
  assert.equal(q.limit(1), one);
  assert.equal(q.limit(2), two);
  assert.equal(q.limit(3).all(0).length, 3);
});

test('a limit that is not a non-negative safe integer is refused, never written into SQL', (t) => {
  const db = openDb(t);
  const q = new StatementsByLimit(db, 'SELECT n FROM t');
  for (const bad of [
    -1,
    1.5,
    Number.NaN,
    Infinity,
    2 ** 53,
    '1; DROP TABLE t' as unknown as number,
  ])
    assert.throws(() => q.limit(bad), RangeError, String(bad));
  assert.equal((db.prepare('SELECT count(*) AS c FROM t').get() as { c: number }).c, 10);
});
