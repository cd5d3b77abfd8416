import type Database from 'better-sqlite3';
import { StatementsByLimit } from './statements-by-limit.js';
import type { Subscription } from './subscription.js';
import { fromRow, type MessageRow, type StoredMessage } from './stored-message.js';

/** Memory for cached entries, shared by every topic of a broker. */
export class CacheBudget {
  used = 0;
  constructor(readonly maxBytes: number) {}
}

/** Rough per-entry overhead of a cached message beside its payload, bytes. */
const ENTRY_OVERHEAD = 200;
const READ_LIMIT = 512;

/**
 * A topic in memory: its committed tail and a cache of the newest entries, so subscriptions
 * that keep up read from memory instead of SQLite. The cache only ever holds a contiguous run
 * of entry ids; rows written by another process or deleted by admin reset it.
 */
export class Topic {
  readonly subscriptions = new Map<string, Subscription>();
  private cache: StoredMessage[] = [];
  private head = 0;
  private cachedBytes = 0;
  /** Last entry this process committed, possibly not synced and visible yet. */
  private writtenEntry = 0;
  private readonly readRows: StatementsByLimit<[number, number, number], MessageRow>;

  constructor(
    db: Database.Database,
    readonly id: number,
    readonly name: string,
    public lastEntry: number,
    private readonly budget: CacheBudget,
  ) {
    this.readRows = new StatementsByLimit(
      db,
      'SELECT * FROM messages WHERE topic_id = ? AND entry_id > ? AND entry_id <= ?' +
        ' ORDER BY entry_id',
    );
  }

  /** This process committed up to `lastEntry`; its rows become visible at `onCommitted`. */
  onWritten(lastEntry: number): void {
    if (lastEntry > this.writtenEntry) this.writtenEntry = lastEntry;
  }

  onCommitted(recs: StoredMessage[]): void {
    if (recs.length === 0) return;
    // Already visible: another process appended after these, and that append was read first.
    if (recs[recs.length - 1].entryId <= this.lastEntry) return;
    if (recs[0].entryId !== this.lastEntry + 1) this.resetCache();
    let added = 0;
    for (const r of recs) {
      this.cache.push(r);
      added += r.data.length + ENTRY_OVERHEAD;
    }
    this.cachedBytes += added;
    this.budget.used += added;
    this.lastEntry = recs[recs.length - 1].entryId;
    this.trimCache();
    this.notify();
  }

  /** Another process appended up to `lastEntry`. */
  onExternalAppend(lastEntry: number): void {
    // Our own commits waiting for their sync are not another process's rows.
    if (lastEntry <= this.lastEntry || lastEntry <= this.writtenEntry) return;
    this.resetCache();
    this.lastEntry = lastEntry;
    this.notify();
  }

  /** Entries up to `entryId` were deleted from storage. */
  dropCacheUpTo(entryId: number): void {
    while (this.head < this.cache.length && this.cache[this.head].entryId <= entryId) {
      this.evictOne();
    }
  }

  /**
   * These entries were deleted from storage (by admin, or moved by a send): they leave the
   * cache and count as acked for every subscription loaded here.
   */
  onDeleted(entries: number[]): void {
    if (entries.length === 0) return;
    this.resetCache();
    for (const sub of this.subscriptions.values()) for (const e of entries) sub.ack(e);
  }

  resetCache(): void {
    this.cache = [];
    this.head = 0;
    this.budget.used -= this.cachedBytes;
    this.cachedBytes = 0;
  }

  /** Committed entries after `after`, oldest first, at most `limit`. */
  read(after: number, limit = READ_LIMIT): StoredMessage[] {
    if (after >= this.lastEntry) return [];
    const cached = this.cache.length - this.head;
    if (cached > 0) {
      const first = this.cache[this.head].entryId;
      if (after + 1 >= first) {
        const start = this.head + (after + 1 - first);
        return this.cache.slice(start, start + limit);
      }
    }
    return this.readRows
      .limit(limit)
      .all(this.id, after, this.lastEntry)
      .map((row) => fromRow(row, this.name));
  }

  private trimCache(): void {
    // The topic that grows gives back first; retention frees what every subscription acked.
    while (this.budget.used > this.budget.maxBytes && this.head < this.cache.length) {
      this.evictOne();
    }
    if (this.head > 4096 && this.head * 2 > this.cache.length) {
      this.cache = this.cache.slice(this.head);
      this.head = 0;
    }
  }

  private evictOne(): void {
    const size = this.cache[this.head++].data.length + ENTRY_OVERHEAD;
    this.cachedBytes -= size;
    this.budget.used -= size;
  }

  private notify(): void {
    for (const sub of this.subscriptions.values()) sub.onNewMessages();
  }
}
