/**
 * Item-to-item recommendations from co-views: for a user, the items most often viewed by the
 * other users who viewed what this user viewed, excluding what the user already saw; when
 * that gives too little (a new user, a niche item), the most viewed items fill the list.
 * The consumer keeps the view counts; the ranking is computed when asked.
 *
 * A view is an event whose type ends in `.viewed` (`item.viewed`, `product.viewed`) and that
 * names an item. Other events about an item (`item.disliked`, `item.purchased`) count as no
 * view anywhere, but the item is one the user has seen: it is not recommended to them.
 */
import type { Database, Statement } from 'better-sqlite3';
import { StatementsByLimit } from '../../broker/embedded/statements-by-limit.js';
import type { DomainEvent } from '../../messaging/index.js';

export interface Recommendation {
  itemId: string;
  score: number;
  reason: 'co-viewed' | 'popular';
}

export interface Recommendations {
  userId: string;
  /** Distinct items this user viewed, which the co-view ranking starts from. */
  basedOnItems: number;
  items: Recommendation[];
}

/** Whether an event of this type is a view of its item. */
export function isView(type: string): boolean {
  return type.endsWith('.viewed');
}

export class RecommendationStore {
  private readonly markSeen: Statement<[string]>;
  /** An item the user acted on without viewing it: a row with no views. */
  private readonly markTouched: Statement<[string, string, string]>;
  private readonly upsertView: Statement<[string, string, string], { views: number }>;
  private readonly upsertItem: Statement<[string, number]>;
  private readonly coViewed: StatementsByLimit<
    [string, string, string],
    { item_id: string; score: number }
  >;
  private readonly popular: StatementsByLimit<[string], { item_id: string; viewers: number }>;
  private readonly seenCount: Statement<[string], { n: number }>;
  private readonly recordTx: (event: DomainEvent) => boolean;

  constructor(private readonly db: Database) {
    this.markSeen = db.prepare(
      'INSERT INTO rec_seen_events (event_id) VALUES (?) ON CONFLICT DO NOTHING',
    );
    this.markTouched = db.prepare(
      `INSERT INTO rec_views (user_id, item_id, views, last_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (user_id, item_id) DO NOTHING`,
    );
    this.upsertView = db.prepare(
      `INSERT INTO rec_views (user_id, item_id, views, last_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (user_id, item_id) DO UPDATE SET views = views + 1, last_at = excluded.last_at
       RETURNING views`,
    );
    this.upsertItem = db.prepare(
      `INSERT INTO rec_items (item_id, viewers, views) VALUES (?, ?, 1)
       ON CONFLICT (item_id) DO UPDATE SET viewers = viewers + excluded.viewers, views = views + 1`,
    );
    this.coViewed = new StatementsByLimit(
      db,
      `
      WITH mine AS (SELECT item_id FROM rec_views WHERE user_id = ? AND views > 0),
           peers AS (
             SELECT DISTINCT v.user_id FROM rec_views v JOIN mine m ON v.item_id = m.item_id
             WHERE v.user_id != ? AND v.views > 0
           )
      SELECT v.item_id, count(*) AS score
      FROM rec_views v JOIN peers p ON v.user_id = p.user_id
      WHERE v.views > 0 AND v.item_id NOT IN (SELECT item_id FROM rec_views WHERE user_id = ?)
      GROUP BY v.item_id
      ORDER BY score DESC, v.item_id`,
    );
    this.popular = new StatementsByLimit(
      db,
      `
      SELECT item_id, viewers FROM rec_items
      WHERE item_id NOT IN (SELECT item_id FROM rec_views WHERE user_id = ?)
      ORDER BY viewers DESC, views DESC, item_id`,
    );
    this.seenCount = db.prepare(
      'SELECT count(*) AS n FROM rec_views WHERE user_id = ? AND views > 0',
    );
    this.recordTx = db.transaction((event: DomainEvent) => this.apply(event));
  }

  /**
   * Counts an item view once per event id; false when the event was seen before. Inside a
   * caller's transaction (the consumer's group commit) it runs in that transaction, which the
   * caller rolls back whole if any statement fails; a savepoint per event would cost two more
   * statements each. Alone, it runs in its own transaction.
   */
  record(event: DomainEvent): boolean {
    return this.db.inTransaction ? this.apply(event) : this.recordTx(event);
  }

  private apply(event: DomainEvent): boolean {
    if (this.markSeen.run(event.eventId).changes === 0) return false;
    if (!event.itemId) return true;
    if (!isView(event.type)) {
      this.markTouched.run(event.userId, event.itemId, event.occurredAt);
      return true;
    }
    const row = this.upsertView.get(event.userId, event.itemId, event.occurredAt);
    this.upsertItem.run(event.itemId, row?.views === 1 ? 1 : 0);
    return true;
  }

  recommend(userId: string, limit: number): Recommendations {
    const items: Recommendation[] = this.coViewed
      .limit(limit)
      .all(userId, userId, userId)
      .map((r) => ({ itemId: r.item_id, score: r.score, reason: 'co-viewed' as const }));
    if (items.length < limit) {
      const chosen = new Set(items.map((i) => i.itemId));
      for (const r of this.popular.limit(2 * limit).all(userId)) {
        if (items.length >= limit) break;
        if (chosen.has(r.item_id)) continue;
        items.push({ itemId: r.item_id, score: r.viewers, reason: 'popular' });
      }
    }
    return { userId, basedOnItems: this.seenCount.get(userId)?.n ?? 0, items };
  }
}
