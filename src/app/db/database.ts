import { makeDirs } from '../../shared/make-dirs.js';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Checkpointer } from '../../broker/embedded/checkpointer.js';
import { assertWritable, asDataFileError } from '../../shared/data-file-error.js';
import { BUSY_TIMEOUT_MS, OPEN_BUSY_TIMEOUT_MS } from './database-busy.js';
import { runMigrations } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

/** File name of the service's own database inside MAGNETAR_DATA_DIR. */
export const SERVICE_DB_FILE = 'magnetar.db';

/**
 * Opens the service database (WAL, so readers never wait on the writer) and brings its
 * schema up to date. The embedded broker keeps its own file and connection. A file this build
 * cannot use (see DataFileError) is refused here, before the service reports ready.
 */
export function openServiceDatabase(file: string): Database {
  makeDirs(dirname(file));
  assertWritable(file);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file);
    // Processes starting together (api and worker) take turns migrating; nothing waits on the
    // event loop yet, so the wait may be long here.
    db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only power loss can drop the tail.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    runMigrations(db, MIGRATIONS);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (err) {
    db?.close();
    // Not a database, corrupt, read-only, locked past the wait: said of the file, in words.
    throw asDataFileError(err, file);
  }
}

/** WAL pages (4 KiB) after which a commit checkpoints by itself, once `startCheckpoints` runs. */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Moves WAL checkpoints of this connection to a worker thread. SQLite's auto-checkpoint runs
 * inside the commit that crosses 1000 WAL pages and fsyncs the database file there, on the
 * event loop: under write load that stalled every request. The worker checkpoints every
 * `intervalMs` with its own connection; the connection's own auto-checkpoint stays as a
 * backstop at a higher limit. Durability is unchanged (WAL, synchronous=NORMAL). Resolves
 * the returned stop function before closing the connection.
 */
export function startCheckpoints(db: Database, intervalMs = 200): () => Promise<void> {
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  // A WAL that grew under load is cut back once a checkpoint has caught up.
  db.pragma('journal_size_limit = 67108864');
  const checkpointer = new Checkpointer(db.name, 'NORMAL', intervalMs);
  return () => checkpointer.close();
}
