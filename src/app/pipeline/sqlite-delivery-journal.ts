/**
 * The DeliveryJournal of the service: a table in its SQLite database. Notes are written
 * through the connection's GroupWriter, so a burst of messages starting together costs one
 * commit, and the notes removed when runs end ride along with the consumers' own writes.
 * WAL with synchronous=NORMAL keeps a committed note across a process crash, which is all the
 * guard needs (power loss may drop the last notes, and with them one count).
 */
import type { Database } from 'better-sqlite3';
import type { DeliveryJournal, DeliveryRef } from '../../messaging/index.js';
import { GroupWriter } from '../db/group-writer.js';

/** Notes older than this are dropped when a journal opens (their message went elsewhere). */
export const DELIVERY_NOTE_TTL_MS = 7 * 24 * 3600 * 1000;

export class SqliteDeliveryJournal implements DeliveryJournal {
  private readonly begins: GroupWriter<DeliveryRef, number>;
  private readonly ends: GroupWriter<DeliveryRef, unknown>;

  constructor(db: Database, now: () => number = Date.now) {
    db.exec(`CREATE TABLE IF NOT EXISTS consumer_runs (
      subscription TEXT NOT NULL,
      topic TEXT NOT NULL,
      message_id TEXT NOT NULL,
      starts INTEGER NOT NULL,
      last_start_ms INTEGER NOT NULL,
      PRIMARY KEY (subscription, topic, message_id)
    ) WITHOUT ROWID`);
    db.prepare('DELETE FROM consumer_runs WHERE last_start_ms < ?').run(
      now() - DELIVERY_NOTE_TTL_MS,
    );
    // The common case, a first run, is a plain insert: an upsert with RETURNING costs about
    // three times as much per message.
    const first = db.prepare(
      `INSERT OR IGNORE INTO consumer_runs (subscription, topic, message_id, starts, last_start_ms)
       VALUES (?, ?, ?, 1, ?)`,
    );
    const again = db.prepare(
      `UPDATE consumer_runs SET starts = starts + 1, last_start_ms = ?
       WHERE subscription = ? AND topic = ? AND message_id = ?`,
    );
    const starts = db
      .prepare(
        'SELECT starts FROM consumer_runs WHERE subscription = ? AND topic = ? AND message_id = ?',
      )
      .pluck();
    const end = db.prepare(
      'DELETE FROM consumer_runs WHERE subscription = ? AND topic = ? AND message_id = ?',
    );
    this.begins = new GroupWriter(db, (r) => {
      const at = now();
      if (first.run(r.subscription, r.topic, r.messageId, at).changes === 1) return 0;
      again.run(at, r.subscription, r.topic, r.messageId);
      return (starts.get(r.subscription, r.topic, r.messageId) as number) - 1;
    });
    this.ends = new GroupWriter(db, (r) => end.run(r.subscription, r.topic, r.messageId));
  }

  begin(ref: DeliveryRef): Promise<number> {
    return this.begins.write(ref);
  }

  end(ref: DeliveryRef): void {
    // A note left behind only counts one run too many if the message comes back.
    this.ends.write(ref).catch(() => undefined);
  }
}
