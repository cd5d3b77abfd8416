import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../../shared/make-dirs.js';
import { join } from 'node:path';
import { BrokerError } from '../errors.js';

interface Held {
  db: Database.Database;
  /** Consumers of this process on the subscription; the lock goes when the last one does. */
  holders: Set<object>;
}

/**
 * How `acquire` went: `joined` another consumer of this process on a held lock; `resumed` the
 * lock with nobody else having held it since this process did; `taken` it after another
 * holder (or for the first time), so what is in memory about the subscription may be stale.
 */
export type Acquired = 'joined' | 'resumed' | 'taken';

/** What the refusal names: the subscription as users know it. */
export interface GuardedSubscription {
  id: number;
  topic: string;
  name: string;
}

/**
 * Lets one process at a time dispatch a subscription of the data dir. Each subscription a
 * process consumes has a lock file, `<dataDir>/consumers/<subscription id>.lock`, a SQLite
 * database kept in an EXCLUSIVE transaction while the process has consumers on it. SQLite's
 * POSIX locks are dropped by the kernel when the process exits, however it exits (SIGKILL
 * included), so a restarted service takes the lock back at once and no staleness check is
 * needed. Files are named by the catalog id, never by user-given names, and are never
 * deleted: unlinking a lock file another process has open would let a third one lock a new
 * file beside it.
 */
export class ConsumerGuard {
  private readonly dir: string;
  private readonly held = new Map<number, Held>();
  /** The token this process wrote when it last took each lock. */
  private readonly lastTokens = new Map<number, string>();

  constructor(private readonly dataDir: string) {
    this.dir = join(dataDir, 'consumers');
  }

  /** Takes (or joins) the lock of `sub` for `holder`; ConsumerBusy if another process has it. */
  acquire(sub: GuardedSubscription, holder: object): Acquired {
    const mine = this.held.get(sub.id);
    if (mine !== undefined) {
      mine.holders.add(holder);
      return 'joined';
    }
    let db: Database.Database | undefined;
    try {
      makeDirs(this.dir);
      db = new Database(this.file(sub.id, 'lock'), { timeout: 0 });
      // Nothing is ever written: no journal file beside the lock.
      db.pragma('journal_mode = MEMORY');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db?.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new BrokerError('ConsumerBusy', this.busyMessage(sub), { cause: err });
      }
      throw new BrokerError(
        'Internal',
        `cannot lock subscription ${sub.name} of ${sub.topic} in ${this.dir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // Every holder writes its pid and a fresh token beside the lock: the pid for the refusal
    // message, the token so that a holder taking the lock again knows whether anyone else had
    // it in between. The lock itself is what excludes.
    const before = this.readHolder(sub.id);
    const token = randomUUID();
    try {
      writeFileSync(this.file(sub.id, 'pid'), `${process.pid} ${token}\n`);
    } catch {
      // Only makes the message vaguer and the next take of this lock a 'taken'.
    }
    const last = this.lastTokens.get(sub.id);
    this.lastTokens.set(sub.id, token);
    this.held.set(sub.id, { db, holders: new Set([holder]) });
    return last !== undefined && before?.token === last ? 'resumed' : 'taken';
  }

  /**
   * `holder` stops consuming `subId`; the last holder's release unlocks it. True when this
   * process no longer holds the subscription (another one may take it from now on).
   */
  release(subId: number, holder: object): boolean {
    const mine = this.held.get(subId);
    if (mine === undefined || !mine.holders.delete(holder) || mine.holders.size > 0) return false;
    this.held.delete(subId);
    this.markReleased(subId);
    // Closing the connection drops the transaction and with it the lock.
    mine.db.close();
    return true;
  }

  /** Releases whatever `holder` holds (a subscribe that failed part-way); the ids let go. */
  releaseAll(holder: object): number[] {
    const freed: number[] = [];
    for (const [subId, mine] of [...this.held])
      if (mine.holders.has(holder) && this.release(subId, holder)) freed.push(subId);
    return freed;
  }

  /** Releases every lock (the broker is closing). */
  close(): void {
    for (const [subId, { db }] of this.held) {
      this.markReleased(subId);
      db.close();
    }
    this.held.clear();
  }

  /**
   * Pid 0, written while the lock is still held, says nobody consumes the subscription now.
   * The token stays, so taking the lock back is still known as a resume.
   */
  private markReleased(subId: number): void {
    const token = this.lastTokens.get(subId);
    if (token === undefined) return;
    try {
      writeFileSync(this.file(subId, 'pid'), `0 ${token}\n`);
    } catch {
      // Only makes the admin count the released holder while it lives.
    }
  }

  /**
   * Whether another live process consumes `subId`, going by the pid its holder wrote. Read
   * without touching the lock: a probe of the lock would make a process taking it at that
   * moment fail with ConsumerBusy. A holder that died left its pid behind, which no longer
   * runs; a pid the system gave to a new process since then would count (for display only).
   */
  heldElsewhere(subId: number): boolean {
    if (this.held.has(subId)) return false;
    const pid = this.readHolder(subId)?.pid;
    if (pid === undefined || pid === 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: it runs, as another user.
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private busyMessage(sub: GuardedSubscription): string {
    const pid = this.readHolder(sub.id)?.pid;
    const who =
      pid === process.pid
        ? 'another broker in this process'
        : `another process${pid ? ` (pid ${pid})` : ''}`;
    return (
      `${who} is consuming subscription ${sub.name} of ${sub.topic} on this data dir ` +
      `(${this.dataDir}); in embedded mode only one process at a time may consume a subscription`
    );
  }

  private readHolder(subId: number): { pid: number; token: string } | undefined {
    try {
      const [pid, token] = readFileSync(this.file(subId, 'pid'), 'utf8').trim().split(' ');
      const n = Number(pid);
      return Number.isSafeInteger(n) && n >= 0 && token ? { pid: n, token } : undefined;
    } catch {
      return undefined;
    }
  }

  private file(subId: number, ext: 'lock' | 'pid'): string {
    return join(this.dir, `${subId}.${ext}`);
  }
}
