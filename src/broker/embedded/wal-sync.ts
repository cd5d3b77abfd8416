import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

type Done = (err: Error | null) => void;

/**
 * Makes committed WAL frames durable off the event loop. The connection commits with
 * `synchronous=NORMAL` (no fsync inside COMMIT); this syncs the WAL file on libuv's thread
 * pool and calls back once everything written before the request is on disk, which is the
 * durability of `synchronous=FULL` without blocking the event loop for the fsync. Frames of
 * a commit interrupted by power loss fail SQLite's checksum chain on recovery and are dropped
 * whole, as with NORMAL.
 *
 * Requests arriving while a sync runs share the next one: one fsync per commit at most, and
 * fewer under load. Callbacks run in request order.
 */
export class WalSync {
  private fd: number | undefined;
  private syncing = false;
  private onDone: (() => void)[] = [];
  private waiting: Done[] = [];
  /** The requests the running sync answers. */
  private current: Done[] = [];
  private idleWaiters: (() => void)[] = [];
  /**
   * A failed fsync is final: Linux may mark the pages it could not write clean, so a later
   * fsync could succeed without them, and recovery stops at the first bad WAL frame. Every
   * later request gets the same error until the broker is reopened.
   */
  private failure: Error | undefined;

  constructor(private readonly walFile: string) {}

  /** Calls `done` once every WAL write made before this call is on disk. */
  after(done: Done): void {
    if (this.failure !== undefined) {
      done(this.failure);
      return;
    }
    this.waiting.push(done);
    if (!this.syncing) this.start();
  }

  /** The error of the sync that failed, after which nothing written is known durable. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** True while an fsync is under way. */
  get running(): boolean {
    return this.syncing;
  }

  /**
   * Calls `fn` once the running sync answered its requests, before the next sync starts, so
   * what `fn` commits and requests joins that next sync.
   */
  whenDone(fn: () => void): void {
    this.onDone.push(fn);
  }

  /**
   * Resolves once the syncs already requested or running have ended; later requests (which
   * keep coming under steady traffic) are not waited for. Rejects if they failed, or if an
   * earlier sync did (then nothing since is known durable).
   */
  settled(): Promise<void> {
    const group = this.waiting.length > 0 ? this.waiting : this.syncing ? this.current : undefined;
    if (group === undefined) {
      return this.failure === undefined ? Promise.resolve() : Promise.reject(this.failure);
    }
    return new Promise((resolve, reject) => group.push((err) => (err ? reject(err) : resolve())));
  }

  /** Resolves when no sync is running or waiting. */
  idle(): Promise<void> {
    if (!this.syncing && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for the syncs under way, then closes the file. */
  async close(): Promise<void> {
    await this.idle();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): void {
    const group = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.open();
    } catch (err) {
      this.finish(group, err as Error);
      return;
    }
    this.syncing = true;
    this.current = group;
    fdatasync(fd, (err) => {
      this.syncing = false;
      this.current = [];
      if (err) this.failure ??= err;
      this.finish(group, err);
    });
  }

  private finish(group: Done[], err: Error | null): void {
    for (const done of group) done(err);
    for (const fn of this.onDone.splice(0)) fn();
    if (this.waiting.length > 0) this.start();
    else if (!this.syncing) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /**
   * The WAL exists once the connection wrote to it and stays while the connection is open (it
   * is only deleted when the last connection closes). On first open, the directory entry is
   * made durable too, as SQLite does for a file it creates.
   */
  private open(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.walFile, 'r+');
      fdatasyncSync(this.fd);
      const dir = openSync(dirname(this.walFile), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    return this.fd;
  }
}
