import type { Migration } from '../db/migrate.js';

export const EVENT_MIGRATIONS: readonly Migration[] = [
  {
    id: 'events-001-idempotency-keys',
    sql: `
      CREATE TABLE idempotency_keys (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
    `,
  },
  {
    // Which process is producing the answer to a key, until when: another process serving the
    // same data dir waits for it instead of publishing the request a second time.
    id: 'events-002-idempotency-claims',
    sql: `
      ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
      ALTER TABLE idempotency_keys ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
