import type Database from 'better-sqlite3';

/** Rows deleted per topic per pass, so one pass never blocks the event loop for long. */
const CHUNK = 20_000;

/**
 * Deletes messages every subscription of their topic has acked (mark-delete positions as
 * stored, so subscriptions of other processes and of stopped consumers are honoured), once
 * they are older than the retention time. Topics without subscriptions keep their messages:
 * they are what a later Earliest subscription, or the dead-letter tooling, reads.
 */
export class Retention {
  private readonly marks: Database.Statement<[], { topic_id: number; md: number }>;
  private readonly first: Database.Statement<[number], { e: number | null }>;
  private readonly del: Database.Statement<[number, number, number, number]>;

  constructor(db: Database.Database) {
    this.marks = db.prepare(
      'SELECT topic_id, min(mark_delete) AS md FROM subscriptions GROUP BY topic_id',
    );
    this.first = db.prepare('SELECT min(entry_id) AS e FROM messages WHERE topic_id = ?');
    this.del = db.prepare(
      'DELETE FROM messages WHERE topic_id = ? AND entry_id >= ? AND entry_id <= ? AND publish_time <= ?',
    );
  }

  /** One pass; returns, per topic id, the highest entry id that may now be gone. */
  run(now: number, retentionMs: number): Map<number, number> {
    const trimmed = new Map<number, number>();
    for (const { topic_id, md } of this.marks.all()) {
      const first = this.first.get(topic_id)?.e;
      if (first === null || first === undefined || first > md) continue;
      const upTo = Math.min(md, first + CHUNK - 1);
      const res = this.del.run(topic_id, first, upTo, now - retentionMs);
      if (res.changes > 0) trimmed.set(topic_id, upTo);
    }
    return trimmed;
  }
}
