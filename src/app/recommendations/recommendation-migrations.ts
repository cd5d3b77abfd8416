import type { Migration } from '../db/migrate.js';

export const RECOMMENDATION_MIGRATIONS: readonly Migration[] = [
  {
    id: 'recommendations-001-create',
    sql: `
      CREATE TABLE rec_seen_events (event_id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
      CREATE TABLE rec_views (
        user_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        views INTEGER NOT NULL,
        last_at TEXT NOT NULL,
        PRIMARY KEY (user_id, item_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rec_views_by_item ON rec_views (item_id, user_id);
      CREATE TABLE rec_items (
        item_id TEXT PRIMARY KEY,
        viewers INTEGER NOT NULL,
        views INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rec_items_by_viewers ON rec_items (viewers DESC, views DESC);
    `,
  },
];
