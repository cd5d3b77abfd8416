/**
 * Batches writes of concurrent callers into one SQLite transaction per event-loop turn, so a
 * consumer handling thousands of messages a second pays for one commit per batch instead of
 * one per message. Every GroupWriter on one connection shares that transaction: the activity
 * and recommendations consumers (and the API's user inserts) commit together. `write`
 * resolves once its item is committed; if the batch fails, each item is retried in its own
 * transaction so one bad item fails alone.
 */
import type { Database } from 'better-sqlite3';

interface Pending {
  run: () => unknown;
  resolve: (result: never) => void;
  reject: (err: unknown) => void;
}

/** The writes queued on one connection during the current event-loop turn. */
class ConnectionBatch {
  private queue: Pending[] = [];
  private scheduled = false;
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
    } catch {
      for (const p of batch) {
        try {
          p.resolve(this.applyOne(p) as never);
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i] as never));
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
