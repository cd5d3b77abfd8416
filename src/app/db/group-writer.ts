/**
 * Batches writes of concurrent callers into one SQLite transaction per event-loop turn, so a
 * consumer handling thousands of messages a second pays for one commit per batch instead of
 * one per message. `write` resolves once its item is committed; if the batch fails, each
 * item is retried in its own transaction so one bad item fails alone.
 */
import type { Database } from 'better-sqlite3';

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class GroupWriter<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  private readonly applyAll: (items: T[]) => R[];
  private readonly applyOne: (item: T) => R;

  constructor(
    db: Database,
    apply: (item: T) => R,
    private readonly maxBatch = 1000,
  ) {
    this.applyAll = db.transaction((items: T[]) => items.map((i) => apply(i)));
    this.applyOne = db.transaction((item: T) => apply(item));
  }

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: R[];
    try {
      results = this.applyAll(batch.map((p) => p.item));
    } catch {
      for (const p of batch) {
        try {
          p.resolve(this.applyOne(p.item));
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
