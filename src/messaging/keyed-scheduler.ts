/**
 * Runs tasks with bounded concurrency; tasks of one key run one at a time, in submission
 * order, while tasks of other keys (or without a key) run alongside. `pending` counts tasks
 * submitted and not finished, so the caller can stop taking work when it is full.
 */
type Task = () => Promise<void>;
type Ready = { key: string } | { task: Task };

export class KeyedScheduler {
  private readonly byKey = new Map<string, Task[]>();
  private readonly ready: Ready[] = [];
  private running = 0;
  private pendingCount = 0;
  /** Each returns true once it resolved its promise. */
  private waiters: Array<() => boolean> = [];

  constructor(
    readonly concurrency: number,
    readonly maxPending = concurrency * 2,
  ) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be >= 1');
  }

  get pending(): number {
    return this.pendingCount;
  }

  get active(): number {
    return this.running;
  }

  submit(key: string | undefined, task: Task): void {
    this.pendingCount++;
    if (key === undefined) {
      this.ready.push({ task });
    } else {
      const queue = this.byKey.get(key);
      if (queue) queue.push(task);
      else {
        this.byKey.set(key, [task]);
        this.ready.push({ key });
      }
    }
    this.pump();
  }

  /** Resolves when another task may be submitted without exceeding maxPending. */
  whenRoom(): Promise<void> {
    if (this.pendingCount < this.maxPending) return Promise.resolve();
    return this.wait(() => this.pendingCount < this.maxPending);
  }

  whenIdle(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    return this.wait(() => this.pendingCount === 0);
  }

  private wait(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return false;
        resolve();
        return true;
      };
      this.waiters.push(check);
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const next = this.ready.shift()!;
      if ('task' in next) this.run(next.task, undefined);
      else {
        const queue = this.byKey.get(next.key)!;
        this.run(queue.shift()!, next.key);
      }
    }
  }

  private run(task: Task, key: string | undefined): void {
    this.running++;
    let done: Promise<void>;
    try {
      done = Promise.resolve(task());
    } catch (err) {
      done = Promise.reject(err);
    }
    // A failed task finishes like one that succeeded: the caller's chain handles its errors.
    const finished = () => {
      this.running--;
      this.pendingCount--;
      if (key !== undefined) {
        const queue = this.byKey.get(key)!;
        if (queue.length === 0) this.byKey.delete(key);
        else this.ready.push({ key });
      }
      this.pump();
      if (this.waiters.length > 0) this.waiters = this.waiters.filter((check) => !check());
    };
    done.then(finished, finished);
  }
}
