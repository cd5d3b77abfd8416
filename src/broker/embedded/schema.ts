import Database from 'better-sqlite3';
import { makeDirs } from '../../shared/make-dirs.js';
import { BrokerError } from '../errors.js';
import {
  assertWritable,
  asDataFileError,
  isSqliteError,
  newerSchemaError,
  problemWords,
  sqliteProblem,
} from '../../shared/data-file-error.js';
import { join } from 'node:path';
import type { ResolvedOptions } from './options.js';

/**
 * On-disk layout. One row per message, keyed by (topic, entry): the entry id is the topic's
 * own sequence (`topics.last_entry`), bumped inside the write transaction so a second process
 * publishing to the same file never reuses an id. A subscription's durable state is its
 * mark-delete position (everything at or below is acked) plus the individually acked entries
 * above it.
 */
const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  last_entry INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  topic_id INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  publish_time INTEGER NOT NULL,
  event_time INTEGER NOT NULL,
  deliver_at INTEGER NOT NULL,
  partition_key TEXT,
  ordering_key TEXT,
  properties TEXT,
  data BLOB NOT NULL,
  PRIMARY KEY (topic_id, entry_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  id INTEGER PRIMARY KEY,
  topic_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  mark_delete INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (topic_id, name)
);
CREATE TABLE IF NOT EXISTS acks (
  sub_id INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  PRIMARY KEY (sub_id, entry_id)
) WITHOUT ROWID;
`;

export const DATABASE_FILE = 'broker.sqlite';
/** How long a statement waits for another process's write lock (on the event loop). */
export const BUSY_TIMEOUT_MS = 250;

export function databaseFile(options: ResolvedOptions): string {
  return join(options.dataDir, DATABASE_FILE);
}

/**
 * Opens the file and creates its schema if missing. A file this build cannot use is refused
 * with a DataFileError naming it: not a SQLite database, corrupt, not writable by this process,
 * or written by a newer Magnetar (its user_version above SCHEMA_VERSION).
 */
export function openDatabase(options: ResolvedOptions): Database.Database {
  makeDirs(options.dataDir);
  const file = databaseFile(options);
  assertWritable(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    setUp(db, file);
    return db;
  } catch (err) {
    db?.close();
    throw asDataFileError(err, file);
  }
}

function setUp(db: Database.Database, file: string): void {
  // Processes opening the file together take turns creating the schema; no request waits yet.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // COMMIT never fsyncs on the event loop: with 'FULL' the group-commit writer syncs the WAL on
  // the thread pool before it answers any publish (wal-sync.ts); checkpoints sync in both.
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  // Checkpoints run on a worker thread (checkpointer.ts); this is only the backstop.
  db.pragma('wal_autocheckpoint = 50000');
  db.pragma('journal_size_limit = 67108864');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw newerSchemaError(file, String(version), String(SCHEMA_VERSION));
  if (version < SCHEMA_VERSION) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  // Another process may hold the write lock for a moment (CLI publish, admin delete). The wait
  // is on the event loop, so it is short: a lock held longer (a foreign sqlite3 session) fails
  // the commit, and its sends are refused (503 at the API) instead of stalling every request.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
}

/**
 * A statement on the file that failed, as the broker's own error: `Internal` (the broker is
 * there but cannot do it), in words for an operator, e.g. "cannot create topic
 * persistent://public/default/a: its database is locked by another process". SQLite's error
 * stays the cause: the API answers a lock with 503 and Retry-After by it. Anything but
 * SQLite's error is returned as it is.
 */
export function storageError(err: unknown, doing: string): unknown {
  if (!isSqliteError(err)) return err;
  const problem = sqliteProblem(err);
  const why = problem === undefined ? err.message : `its database ${problemWords(problem, err)}`;
  return new BrokerError('Internal', `${doing}: ${why}`, { cause: err });
}

/** Runs a write on the file, its SQLite failure reported by storageError. */
export function storing<T>(doing: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw storageError(err, doing);
  }
}
