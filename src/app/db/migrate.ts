import type { Database } from 'better-sqlite3';
import { newerSchemaError } from '../../shared/data-file-error.js';

/** One schema change. `id` is permanent: a migration runs once per database, in list order. */
export interface Migration {
  readonly id: string;
  readonly sql: string;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in a transaction. A
 * database that records a migration this list does not have was written by a newer build:
 * refused (DataFileError) before anything is applied, as its tables may have changed.
 */
export function runMigrations(db: Database, migrations: readonly Migration[]): string[] {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new MigrationError(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const applied = new Set(
    db
      .prepare('SELECT id FROM schema_migrations ORDER BY applied_at, id')
      .pluck()
      .all() as string[],
  );
  const unknown = [...applied].filter((id) => !ids.has(id));
  if (unknown.length > 0)
    throw newerSchemaError(db.name, unknown.join(', '), migrations.at(-1)?.id ?? '(none)');
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  const ran: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, new Date().toISOString());
    })();
    ran.push(m.id);
  }
  return ran;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}
