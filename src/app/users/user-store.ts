import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { AppError } from '../../http/errors.js';
import { StatementsByLimit } from '../../broker/embedded/statements-by-limit.js';
import { GroupWriter } from '../db/group-writer.js';

export interface User {
  id: string;
  name: string;
  email: string;
  age?: number;
  createdAt: string;
}

export interface NewUser {
  name: string;
  email: string;
  age?: number;
}

export interface UserPage {
  items: User[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

interface UserRow {
  seq: number;
  id: string;
  name: string;
  email: string;
  age: number | null;
  created_at: string;
}

/** Users in the service's SQLite database. Pages follow insertion order by an opaque cursor. */
export class UserStore {
  private readonly insertStmt: Statement<[string, string, string, number | null, string]>;
  private readonly byIdStmt: Statement<[string], UserRow>;
  private readonly pageStmt: StatementsByLimit<[number], UserRow>;
  private readonly writer: GroupWriter<NewUser, User>;

  constructor(
    db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO users (id, name, email, age, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.byIdStmt = db.prepare('SELECT * FROM users WHERE id = ?');
    this.pageStmt = new StatementsByLimit(db, 'SELECT * FROM users WHERE seq > ? ORDER BY seq');
    this.writer = new GroupWriter(db, (input: NewUser) => this.create(input));
  }

  /**
   * `create`, committed together with the other users added in the same event-loop turn:
   * one commit per insert costs about five times as much as the insert itself. Resolves once
   * the user is committed; rejects with EMAIL_TAKEN as `create` throws it (the inserts of a
   * failed batch are retried one by one, in arrival order).
   */
  add(input: NewUser): Promise<User> {
    return this.writer.write(input);
  }

  /** Throws EMAIL_TAKEN when the email (case-insensitively) belongs to another user. */
  create(input: NewUser): User {
    const user: User = {
      id: randomUUID(),
      name: input.name,
      email: input.email,
      ...(input.age === undefined ? {} : { age: input.age }),
      createdAt: this.now().toISOString(),
    };
    try {
      this.insertStmt.run(user.id, user.name, user.email, input.age ?? null, user.createdAt);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('EMAIL_TAKEN', { email: input.email }, { cause: err });
      }
      throw err;
    }
    return user;
  }

  get(id: string): User | undefined {
    const row = this.byIdStmt.get(id);
    return row ? toUser(row) : undefined;
  }

  /** Throws VALIDATION_FAILED for a cursor this store did not issue. */
  page(limit: number, cursor?: string): UserPage {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    // One extra row tells whether another page exists.
    const rows = this.pageStmt.limit(limit + 1).all(after);
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    return {
      items: items.map(toUser),
      nextCursor: more ? encodeCursor(items[items.length - 1].seq) : null,
    };
  }
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    ...(row.age === null ? {} : { age: row.age }),
    createdAt: row.created_at,
  };
}

function encodeCursor(seq: number): string {
  return Buffer.from(`u:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^u:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) {
    throw new AppError('VALIDATION_FAILED', {
      errors: [{ field: 'cursor', message: 'is not a cursor returned by this API' }],
    });
  }
  return Number(m[1]);
}
