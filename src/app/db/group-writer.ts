/**
 * Batches writes of concurrent callers into one SQLite transaction per event-loop turn, so a
 * consumer handling thousands of messages a second pays for one commit per batch instead of
 * one per message. Every GroupWriter on one connection shares that transaction: the activity
 * and recommendations consumers (and the API's user inserts) commit together. `write`
 * resolves once its item is committed; if the batch fails, each item is retried in its own
 * transaction so one bad item fails alone. A batch refused because another process holds the
 * write lock is tried again later, off the event loop, instead of item by item.
 */
import type { Database } from 'better-sqlite3';
import { isDatabaseBusy } from './database-busy.js';

/** First wait after a write found the database locked; doubles up to the max. */
const BUSY_RETRY_FIRST_MS = 20;
const BUSY_RETRY_MAX_MS = 500;
/** After this long locked, the queued writes fail with the busy error (a 503 for the API). */
const BUSY_GIVE_UP_MS = 5000;

interface Pending {
  run: () => unknown;
  resolve: (result: never) => void;
  reject: (err: unknown) => void;
}

/** The writes queued on one connection during the current event-loop turn. */
class ConnectionBatch {
  private queue: Pending[] = [];
  private scheduled = false;
  /** While another process holds the write lock: when that was first seen, and the wait. */
  private busySince = 0;
  private busyDelay = 0;
  private readonly applyAll: (items: Pending[]) => unknown[];
  private readonly applyOne: (item: Pending) => unknown;

  constructor(
    db: Database,
    private readonly maxBatch: number,
  ) {
    this.applyAll = db.transaction((items: Pending[]) => items.map((p) => p.run()));
    this.applyOne = db.transaction((item: Pending) => item.run());
  }

  add(p: Pending, maxBatch: number): void {
    this.queue.push(p);
    if (this.busySince !== 0) return; // the retry timer flushes
    if (this.queue.length >= Math.min(maxBatch, this.maxBatch)) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: unknown[];
    try {
      results = this.applyAll(batch);
    } catch (err) {
      if (isDatabaseBusy(err)) return this.retryLater(batch, err);
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        try {
          p.resolve(this.applyOne(p) as never);
        } catch (itemErr) {
          if (isDatabaseBusy(itemErr)) return this.retryLater(batch.slice(i), itemErr);
          p.reject(itemErr);
        }
      }
      this.busySince = 0;
      return;
    }
    this.busySince = 0;
    batch.forEach((p, i) => p.resolve(results[i] as never));
  }

  /**
   * Another process holds the write lock: SQLite waited `busy_timeout` on the event loop and
   * gave up. The writes go back to the head of the queue and are tried again after a growing
   * wait, with the loop free meanwhile; past BUSY_GIVE_UP_MS they fail with the busy error.
   */
  private retryLater(items: Pending[], err: unknown): void {
    const now = Date.now();
    if (this.busySince === 0) {
      this.busySince = now;
      this.busyDelay = BUSY_RETRY_FIRST_MS;
    } else this.busyDelay = Math.min(this.busyDelay * 2, BUSY_RETRY_MAX_MS);
    const waiting = items.concat(this.queue);
    if (now - this.busySince >= BUSY_GIVE_UP_MS) {
      this.queue = [];
      this.busySince = 0;
      for (const p of waiting) p.reject(err);
      return;
    }
    this.queue = waiting;
    this.scheduled = true;
    setTimeout(() => this.flush(), this.busyDelay);
  }
}

/** Largest shared batch of a connection, whatever its writers ask for. */
const MAX_SHARED_BATCH = 10_000;
const batches = new WeakMap<Database, ConnectionBatch>();

export class GroupWriter<T, R> {
  private readonly batch: ConnectionBatch;

  constructor(
    db: Database,
    private readonly apply: (item: T) => R,
    private readonly maxBatch = 1000,
  ) {
    let batch = batches.get(db);
    if (!batch) {
      batch = new ConnectionBatch(db, MAX_SHARED_BATCH);
      batches.set(db, batch);
    }
    this.batch = batch;
  }

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.batch.add(
        { run: () => this.apply(item), resolve: resolve as (r: never) => void, reject },
        this.maxBatch,
      );
    });
  }
}
