import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { runMigrations } from './migrate.js';
import { MIGRATIONS } from './migrations.js';

/** File name of the service's own database inside MAGNETAR_DATA_DIR. */
export const SERVICE_DB_FILE = 'magnetar.db';

/**
 * Opens the service database (WAL, so readers never wait on the writer) and brings its
 * schema up to date. The embedded broker keeps its own file and connection.
 */
export function openServiceDatabase(file: string): Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only power loss can drop the tail.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  runMigrations(db, MIGRATIONS);
  return db;
}
