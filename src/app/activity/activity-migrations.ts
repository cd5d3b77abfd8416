import type { Migration } from '../db/migrate.js';

export const ACTIVITY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'activity-001-create',
    sql: `
      CREATE TABLE activity (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        type TEXT NOT NULL,
        item_id TEXT,
        occurred_at TEXT NOT NULL,
        processed_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX activity_by_user ON activity (user_id, occurred_at DESC, seq DESC);
    `,
  },
];
