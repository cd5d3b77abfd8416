import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openServiceDatabase } from '../../src/app/db/database.js';
import { MigrationError, runMigrations } from '../../src/app/db/migrate.js';
import { MIGRATIONS } from '../../src/app/db/migrations.js';
import { UserStore } from '../../src/app/users/user-store.js';
import { isAppError } from '../../src/http/errors.js';
import { DataFileError } from '../../src/shared/data-file-error.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the service database is WAL, migrated once, and keeps data across reopen', (t) => {
  const file = join(tempDir(t), 'nested', 'magnetar.db');
  const db = openServiceDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const applied = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
  assert.deepEqual(applied, MIGRATIONS.map((m) => m.id).sort());
  const store = new UserStore(db, () => new Date('2026-01-02T03:04:05.000Z'));
  const user = store.create({ name: 'Persisted', email: 'p@example.com' });
  assert.equal(user.createdAt, '2026-01-02T03:04:05.000Z');
  db.close();

  const again = openServiceDatabase(file);
  t.after(() => again.close());
  assert.deepEqual(new UserStore(again).get(user.id), user);
});

test('runMigrations applies only new migrations, in order, each atomically', (t) => {
  const db = new BetterSqlite3(join(tempDir(t), 'm.db'));
  t.after(() => db.close());
  const first = [{ id: 'a-001', sql: 'CREATE TABLE a (x INTEGER)' }];
  assert.deepEqual(runMigrations(db, first), ['a-001']);
  assert.deepEqual(runMigrations(db, first), []);
  const more = [
    ...first,
    { id: 'b-001', sql: 'CREATE TABLE b (y INTEGER)' },
    { id: 'b-002', sql: 'INSERT INTO b VALUES (1); INSERT INTO nope VALUES (2);' },
  ];
  assert.throws(() => runMigrations(db, more), /no such table: nope/);
  // b-001 stays applied; the failed b-002 left no row behind.
  assert.equal(db.prepare('SELECT count(*) FROM b').pluck().get(), 0);
  const ids = db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
  assert.deepEqual(ids, ['a-001', 'b-001']);
  assert.throws(
    () => runMigrations(db, [...first, ...first]),
    (err: unknown) => err instanceof MigrationError,
  );
});

test('a database recording migrations this build does not know is refused before any runs', (t) => {
  const file = join(tempDir(t), 'm.db');
  const db = new BetterSqlite3(file);
  t.after(() => db.close());
  runMigrations(db, [
    { id: 'a-001', sql: 'CREATE TABLE a (x INTEGER)' },
    { id: 'a-002', sql: 'ALTER TABLE a RENAME COLUMN x TO y' },
  ]);
  const older = [
    { id: 'a-001', sql: 'CREATE TABLE a (x INTEGER)' },
    { id: 'b-001', sql: 'CREATE TABLE b (z INTEGER)' },
  ];
  assert.throws(
    () => runMigrations(db, older),
    (err: unknown) => {
      assert.ok(err instanceof DataFileError);
      assert.equal(err.problem, 'newer-schema');
      assert.equal(
        err.message,
        `${file} was written by a newer Magnetar: schema a-002, this build knows up to b-001`,
      );
      return true;
    },
  );
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get(), 0);
});

test('openServiceDatabase names a file that is not a SQLite database', (t) => {
  const file = join(tempDir(t), 'magnetar.db');
  writeFileSync(file, randomBytes(8192));
  assert.throws(
    () => openServiceDatabase(file),
    (err: unknown) => {
      assert.ok(err instanceof DataFileError);
      assert.equal(err.problem, 'not-a-database');
      assert.equal(err.file, file);
      assert.match(err.message, /magnetar\.db is not a SQLite database/);
      return true;
    },
  );
});

test('UserStore maps a duplicate email to EMAIL_TAKEN and pages in insertion order', (t) => {
  const db = openServiceDatabase(join(tempDir(t), 'u.db'));
  t.after(() => db.close());
  const store = new UserStore(db);
  const a = store.create({ name: 'A1', email: 'same@example.com', age: 1 });
  assert.throws(
    () => store.create({ name: 'A2', email: 'Same@Example.com' }),
    (err: unknown) => isAppError(err, 'EMAIL_TAKEN'),
  );
  const b = store.create({ name: 'B1', email: 'b@example.com' });
  const first = store.page(1);
  assert.deepEqual(first.items, [a]);
  assert.ok(first.nextCursor);
  const second = store.page(1, first.nextCursor);
  assert.deepEqual(second, { items: [b], nextCursor: null });
  assert.throws(
    () => store.page(1, 'garbage'),
    (err: unknown) => isAppError(err, 'VALIDATION_FAILED'),
  );
  assert.equal(store.get('nope'), undefined);
});
