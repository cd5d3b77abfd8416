import type { Migration } from '../db/migrate.js';

export const USER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'users-001-create',
    sql: `
      CREATE TABLE users (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        email TEXT NOT NULL COLLATE NOCASE UNIQUE,
        age INTEGER,
        created_at TEXT NOT NULL
      ) STRICT;
    `,
  },
];
