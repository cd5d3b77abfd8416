/**
 * What the activity consumer recorded, per user. The event id is unique, so a redelivered
 * event is recorded once however often the consumer sees it.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StatementsByLimit } from '../../broker/embedded/statements-by-limit.js';
import type { DomainEvent } from '../../messaging/index.js';

export interface ActivityEntry {
  eventId: string;
  type: string;
  itemId: string | null;
  occurredAt: string;
  processedAt: string;
}

export interface ActivityPage {
  items: ActivityEntry[];
  nextCursor: string | null;
}

interface Row {
  seq: number;
  event_id: string;
  type: string;
  item_id: string | null;
  occurred_at: string;
  processed_at: string;
}

export class InvalidActivityCursorError extends TypeError {
  readonly code = 'INVALID_CURSOR';
}

export class ActivityStore {
  private readonly insert: Statement<[string, string, string, string | null, string, string]>;
  private readonly exists: Statement<[string], { one: number }>;
  private readonly first: StatementsByLimit<[string], Row>;
  private readonly after: StatementsByLimit<[string, string, string, number], Row>;
  private readonly count: Statement<[string], { n: number }>;

  constructor(
    db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.insert = db.prepare(
      `INSERT INTO activity (event_id, user_id, type, item_id, occurred_at, processed_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    );
    this.exists = db.prepare('SELECT 1 AS one FROM activity WHERE event_id = ?');
    const cols = 'seq, event_id, type, item_id, occurred_at, processed_at';
    this.first = new StatementsByLimit(
      db,
      `SELECT ${cols} FROM activity WHERE user_id = ?
       ORDER BY occurred_at DESC, seq DESC`,
    );
    this.after = new StatementsByLimit(
      db,
      `SELECT ${cols} FROM activity WHERE user_id = ?
         AND (occurred_at < ? OR (occurred_at = ? AND seq < ?))
       ORDER BY occurred_at DESC, seq DESC`,
    );
    this.count = db.prepare('SELECT count(*) AS n FROM activity WHERE user_id = ?');
  }

  /** Returns false when the event was already recorded. */
  record(event: DomainEvent): boolean {
    const occurredAt = new Date(event.occurredAt).toISOString();
    const res = this.insert.run(
      event.eventId,
      event.userId,
      event.type,
      event.itemId ?? null,
      occurredAt,
      this.now().toISOString(),
    );
    return res.changes === 1;
  }

  has(eventId: string): boolean {
    return this.exists.get(eventId) !== undefined;
  }

  countFor(userId: string): number {
    return this.count.get(userId)?.n ?? 0;
  }

  /** Newest first (by the time the event occurred, then by arrival). */
  page(userId: string, limit: number, cursor?: string): ActivityPage {
    let rows: Row[];
    if (cursor) {
      const c = decodeCursor(cursor);
      rows = this.after.limit(limit + 1).all(userId, c.at, c.at, c.seq);
    } else rows = this.first.limit(limit + 1).all(userId);
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({
        eventId: r.event_id,
        type: r.type,
        itemId: r.item_id,
        occurredAt: r.occurred_at,
        processedAt: r.processed_at,
      })),
      nextCursor:
        more && last
          ? Buffer.from(JSON.stringify({ at: last.occurred_at, seq: last.seq })).toString(
              'base64url',
            )
          : null,
    };
  }
}

function decodeCursor(text: string): { at: string; seq: number } {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as {
      at?: unknown;
      seq?: unknown;
    };
    if (typeof c.at === 'string' && Number.isInteger(c.seq))
      return c as { at: string; seq: number };
  } catch {
    // fall through
  }
  throw new InvalidActivityCursorError('cursor is not one this API returned');
}
