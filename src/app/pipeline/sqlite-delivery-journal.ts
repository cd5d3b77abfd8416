/**
 * The DeliveryJournal of the service: a table in its SQLite database. Notes are written
 * through the connection's GroupWriter, so a burst of messages starting together costs one
 * commit, and the notes removed when runs end ride along with the consumers' own writes.
 * WAL with synchronous=NORMAL keeps a committed note across a process crash, which is all the
 * guard needs (power loss may drop the last notes, and with them one count).
 */
import type { Database } from 'better-sqlite3';
import type { DeliveryJournal, DeliveryRef, RunHistory } from '../../messaging/index.js';
import { GroupWriter } from '../db/group-writer.js';

/** Notes older than this are dropped when a journal opens (their message went elsewhere). */
export const DELIVERY_NOTE_TTL_MS = 7 * 24 * 3600 * 1000;
/** How long opening waits for another process's write lock (the service waits 250 ms later). */
const OPEN_BUSY_TIMEOUT_MS = 5000;

const COLUMNS = [
  'subscription',
  'topic',
  'message_id',
  'publish_time',
  'starts',
  'alone_starts',
  'last_start_ms',
];
const KEY = 'subscription = ? AND topic = ? AND message_id = ? AND publish_time = ?';
const FIRST_RUN: RunHistory = { unfinished: 0, unfinishedAlone: 0 };

export class SqliteDeliveryJournal implements DeliveryJournal {
  private readonly begins: GroupWriter<DeliveryRef, RunHistory>;
  private readonly aloneBegins: GroupWriter<DeliveryRef, unknown>;
  private readonly ends: GroupWriter<DeliveryRef, unknown>;

  constructor(db: Database, now: () => number = Date.now) {
    prepareTable(db, now);
    const key = (r: DeliveryRef) => [r.subscription, r.topic, r.messageId, r.publishTime];
    // The common case, a first run, is a plain insert: an upsert with RETURNING costs about
    // three times as much per message.
    const first = db.prepare(
      `INSERT OR IGNORE INTO consumer_runs (${COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, 1, 0, ?)`,
    );
    const again = db.prepare(
      `UPDATE consumer_runs SET starts = starts + 1, last_start_ms = ? WHERE ${KEY}`,
    );
    const counts = db.prepare(`SELECT starts, alone_starts FROM consumer_runs WHERE ${KEY}`);
    const alone = db.prepare(
      `UPDATE consumer_runs SET alone_starts = alone_starts + 1 WHERE ${KEY}`,
    );
    const end = db.prepare(`DELETE FROM consumer_runs WHERE ${KEY}`);
    this.begins = new GroupWriter(db, (r) => {
      const at = now();
      if (first.run(...key(r), at).changes === 1) return FIRST_RUN;
      again.run(at, ...key(r));
      const row = counts.get(...key(r)) as { starts: number; alone_starts: number };
      return { unfinished: row.starts - 1, unfinishedAlone: row.alone_starts };
    });
    this.aloneBegins = new GroupWriter(db, (r) => alone.run(...key(r)));
    this.ends = new GroupWriter(db, (r) => end.run(...key(r)));
  }

  begin(ref: DeliveryRef): Promise<RunHistory> {
    return this.begins.write(ref);
  }

  async beginAlone(ref: DeliveryRef): Promise<void> {
    await this.aloneBegins.write(ref);
  }

  end(ref: DeliveryRef): void {
    // A note left behind only counts one run too many if the message comes back.
    this.ends.write(ref).catch(() => undefined);
  }
}

/**
 * Creates the table (again, if an older layout is found: notes only matter across one
 * restart) and drops notes past their TTL. Waits for another process's write lock as long as
 * the service's own start does, not the 250 ms its later writes wait.
 */
function prepareTable(db: Database, now: () => number): void {
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${Math.max(busy, OPEN_BUSY_TIMEOUT_MS)}`);
  try {
    const found = (db.pragma('table_info(consumer_runs)') as { name: string }[]).map((c) => c.name);
    if (found.length > 0 && found.join() !== COLUMNS.join()) db.exec('DROP TABLE consumer_runs');
    db.exec(`CREATE TABLE IF NOT EXISTS consumer_runs (
      subscription TEXT NOT NULL,
      topic TEXT NOT NULL,
      message_id TEXT NOT NULL,
      publish_time INTEGER NOT NULL,
      starts INTEGER NOT NULL,
      alone_starts INTEGER NOT NULL,
      last_start_ms INTEGER NOT NULL,
      PRIMARY KEY (subscription, topic, message_id, publish_time)
    ) WITHOUT ROWID`);
    db.prepare('DELETE FROM consumer_runs WHERE last_start_ms < ?').run(
      now() - DELIVERY_NOTE_TTL_MS,
    );
  } finally {
    db.pragma(`busy_timeout = ${busy}`);
  }
}
