import type Database from 'better-sqlite3';
import { BrokerError } from '../errors.js';
import { storageError } from './schema.js';
import type { StoredMessage } from './stored-message.js';
import type { WalSync } from './wal-sync.js';

const COLUMNS = 9;
/** Rows per multi-row INSERT: fewer calls into SQLite per message. */
const ROWS_PER_INSERT = 64;

function insertSql(rows: number): string {
  const row = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  return (
    'INSERT INTO messages (topic_id, entry_id, publish_time, event_time, deliver_at,' +
    ` partition_key, ordering_key, properties, data) VALUES ${Array(rows).fill(row).join(', ')}`
  );
}

/** A send waiting for its transaction. */
export interface PendingPublish {
  rec: StoredMessage;
  propertiesJson: string | null;
  /**
   * A stored message (of another topic) this send replaces: the transaction that inserts `rec`
   * deletes it, and stores `rec` only if it was still there (else the send is `gone`).
   */
  moveFrom?: { topicId: number; entryId: number };
  resolve(rec: StoredMessage): void;
  reject(err: Error): void;
  /** The message named by `moveFrom` was no longer stored: nothing was written for this send. */
  gone(): void;
}

/** Ack state a subscription hands to the writer at commit time. */
export interface AckChanges {
  subscriptionId: number;
  markDelete: number;
  /** Individually acked entries above markDelete, acked since the last take. */
  acks: number[];
  markDeleteChanged: boolean;
}

export interface AckSource {
  takeAckChanges(): AckChanges | undefined;
  /** The commit carrying `changes` failed: take them back, to go into a later commit. */
  restoreAckChanges(changes: AckChanges): void;
}

export interface CommitListener {
  /** Called right after COMMIT (before the WAL sync) with a topic's last written entry. */
  onWritten(topicId: number, lastEntry: number): void;
  /** Called once committed (and synced) with one topic's new entries, in id order. */
  onCommitted(topicId: number, recs: StoredMessage[]): void;
  /** Called once committed with the entries of a topic that sends moved away (deleted). */
  onMoved(topicId: number, entries: number[]): void;
}

/**
 * Group commit: every publish and ack queued during one event-loop turn goes into one
 * IMMEDIATE transaction, flushed from setImmediate (or as soon as `maxBatch` operations are
 * queued). Publishes resolve only after COMMIT returned, and with a `WalSync` only after the
 * WAL was synced on the thread pool, so a resolved send is on disk; meanwhile the event loop
 * goes on and the next turn's commit can already start.
 */
export class GroupCommitWriter {
  private publishes: PendingPublish[] = [];
  private dirty = new Set<AckSource>();
  /** One promise per transaction, shared by every ack and flush waiting for it. */
  private commitWaiter:
    { promise: Promise<void>; resolve(): void; reject(err: Error): void } | undefined;
  private scheduled = false;
  private closed = false;
  private readonly lastEntry: Database.Statement<[number], { last_entry: number }>;
  private readonly setLastEntry: Database.Statement<[number, number]>;
  /** Multi-row INSERTs by row count (1..ROWS_PER_INSERT), prepared on first use. */
  private readonly inserts: Database.Statement<unknown[]>[] = [];
  private readonly insertAck: Database.Statement<[number, number]>;
  private readonly setMarkDelete: Database.Statement<[number, number]>;
  private readonly trimAcks: Database.Statement<[number, number]>;
  private readonly deleteMoved: Database.Statement<[number, number]>;
  private readonly commit: () => void;

  private readonly db: Database.Database;

  constructor(
    db: Database.Database,
    private readonly maxBatch: number,
    private readonly listener: CommitListener,
    private readonly walSync?: WalSync,
  ) {
    this.lastEntry = db.prepare('SELECT last_entry FROM topics WHERE id = ?');
    this.setLastEntry = db.prepare('UPDATE topics SET last_entry = ? WHERE id = ?');
    this.db = db;
    this.insertAck = db.prepare('INSERT OR IGNORE INTO acks (sub_id, entry_id) VALUES (?, ?)');
    this.setMarkDelete = db.prepare('UPDATE subscriptions SET mark_delete = ? WHERE id = ?');
    this.trimAcks = db.prepare('DELETE FROM acks WHERE sub_id = ? AND entry_id <= ?');
    this.deleteMoved = db.prepare('DELETE FROM messages WHERE topic_id = ? AND entry_id = ?');
    const tx = db.transaction(() => this.write());
    this.commit = () => tx.immediate();
  }

  enqueue(p: PendingPublish): void {
    const failed = this.syncFailure();
    if (failed !== undefined) throw failed;
    this.publishes.push(p);
    if (this.publishes.length >= this.maxBatch) this.flushNow();
    else this.schedule();
  }

  markDirty(source: AckSource): void {
    this.dirty.add(source);
    this.schedule();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once everything queued so far is committed (and synced); rejects if not. */
  flushed(): Promise<void> {
    if (this.publishes.length > 0 || this.dirty.size > 0) return this.nextCommit();
    if (this.walSync === undefined) return Promise.resolve();
    return this.walSync.settled().catch((cause: unknown) => {
      throw new BrokerError('Internal', 'could not sync stored messages to disk', { cause });
    });
  }

  /** The commit that will carry what is queued now. */
  nextCommit(): Promise<void> {
    if (this.commitWaiter === undefined) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Nobody may be listening; a failed commit is also reported through the sends.
      promise.catch(() => undefined);
      this.commitWaiter = { promise, resolve, reject };
      this.schedule();
    }
    return this.commitWaiter.promise;
  }

  /** Commits what is queued, waits for its sync, then refuses new work. */
  async close(): Promise<void> {
    this.flushNow();
    this.closed = true;
    await this.walSync?.close();
  }

  private schedule(): void {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'broker is closed');
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.turnEnded);
  }

  /**
   * While a WAL sync runs, what this turn queued could not be answered before the next sync
   * anyway: it is committed when the running sync ends, together with whatever queues up
   * meanwhile. So there is at most one commit per sync, and each writes its pages once.
   */
  private readonly turnEnded = (): void => {
    if (this.walSync?.running) {
      this.walSync.whenDone(this.syncEnded);
      return;
    }
    this.scheduled = false;
    this.flushNow();
  };

  private readonly syncEnded = (): void => {
    this.scheduled = false;
    if (!this.closed) this.flushNow();
  };

  private batch: PendingPublish[] = [];
  private changes: AckChanges[] = [];
  private changeSources: AckSource[] = [];
  private committedTopics = new Map<number, StoredMessage[]>();
  /** Sends of the running transaction whose `moveFrom` was gone, and the entries moved. */
  private goneSends = new Set<PendingPublish>();
  private movedEntries = new Map<number, number[]>();

  flushNow(): void {
    const waiter = this.commitWaiter;
    this.commitWaiter = undefined;
    if (this.publishes.length === 0 && this.dirty.size === 0) {
      waiter?.resolve();
      return;
    }
    const failed = this.syncFailure();
    if (failed !== undefined) {
      this.refuse(failed, waiter);
      return;
    }
    this.batch = this.publishes;
    this.publishes = [];
    this.changes = [];
    this.changeSources = [];
    for (const source of this.dirty) {
      const c = source.takeAckChanges();
      if (c) {
        this.changes.push(c);
        this.changeSources.push(source);
      }
    }
    this.dirty.clear();
    this.committedTopics = new Map();
    this.goneSends = new Set();
    this.movedEntries = new Map();
    const batch = this.batch;
    const committed = this.committedTopics;
    const moves = { gone: this.goneSends, moved: this.movedEntries };
    try {
      this.commit();
    } catch (err) {
      // SQLite's reason in words (e.g. its database is locked by another process).
      const stored = storageError(err, 'could not store messages');
      const e =
        stored instanceof BrokerError
          ? stored
          : new BrokerError('Internal', 'could not store messages', { cause: err });
      // The acks stay pending: an ack retried after this failure (already acked in memory)
      // only waits for the next commit, which must then carry them.
      this.changeSources.forEach((source, i) => {
        source.restoreAckChanges(this.changes[i]);
        this.dirty.add(source);
      });
      this.changes = [];
      this.changeSources = [];
      for (const p of batch) p.reject(e);
      waiter?.reject(e);
      this.batch = [];
      return;
    }
    this.batch = [];
    if (this.walSync === undefined) {
      this.settle(committed, moves, batch, null, waiter);
      return;
    }
    for (const [topicId, recs] of committed)
      this.listener.onWritten(topicId, recs[recs.length - 1].entryId);
    this.walSync.after((err) => this.settle(committed, moves, batch, err, waiter));
  }

  /**
   * After a failed WAL sync nothing more is written: a row committed now could be delivered
   * while its sender, told the send failed, publishes it again. The queued sends and acks are
   * refused; the acks stay pending in their subscriptions, unwritten.
   */
  private refuse(err: Error, waiter: { reject(err: Error): void } | undefined): void {
    const batch = this.publishes;
    this.publishes = [];
    this.dirty.clear();
    for (const p of batch) p.reject(err);
    waiter?.reject(err);
  }

  private syncFailure(): BrokerError | undefined {
    const cause = this.walSync?.failed;
    if (cause === undefined) return undefined;
    return new BrokerError('Internal', 'could not sync stored messages to disk', { cause });
  }

  /**
   * Hands the committed entries to the topics and answers the sends. When the sync failed the
   * rows are stored but maybe not durable: the senders get an error (they may publish again),
   * and the entries are still delivered, as they are in the database.
   */
  private settle(
    committed: Map<number, StoredMessage[]>,
    moves: { gone: Set<PendingPublish>; moved: Map<number, number[]> },
    batch: PendingPublish[],
    syncError: Error | null,
    waiter: { resolve(): void; reject(err: Error): void } | undefined,
  ): void {
    for (const [topicId, entries] of moves.moved) this.listener.onMoved(topicId, entries);
    for (const [topicId, recs] of committed) this.listener.onCommitted(topicId, recs);
    if (syncError === null) {
      for (const p of batch) {
        if (moves.gone.has(p)) p.gone();
        else p.resolve(p.rec);
      }
      waiter?.resolve();
      return;
    }
    const e = new BrokerError('Internal', 'could not sync stored messages to disk', {
      cause: syncError,
    });
    for (const p of batch) {
      if (moves.gone.has(p)) p.gone();
      else p.reject(e);
    }
    waiter?.reject(e);
  }

  private insertRows(rows: number): Database.Statement<unknown[]> {
    return (this.inserts[rows] ??= this.db.prepare(insertSql(rows)));
  }

  /**
   * Deletes the message `p` replaces, inside the transaction; false (and `p` is gone) when it
   * was deleted already: by an admin call, by another process, or by an earlier send of the
   * same transaction. So a message is moved once however many sends race for it.
   */
  private moved(p: PendingPublish, from: { topicId: number; entryId: number }): boolean {
    if (this.deleteMoved.run(from.topicId, from.entryId).changes === 0) {
      this.goneSends.add(p);
      return false;
    }
    const entries = this.movedEntries.get(from.topicId);
    if (entries === undefined) this.movedEntries.set(from.topicId, [from.entryId]);
    else entries.push(from.entryId);
    return true;
  }

  /** Runs inside the transaction. */
  private write(): void {
    const next = new Map<number, number>();
    const known = this.committedTopics;
    const params: unknown[] = [];
    for (const p of this.batch) {
      const rec = p.rec;
      if (p.moveFrom !== undefined && !this.moved(p, p.moveFrom)) continue;
      let last = next.get(rec.topicId);
      if (last === undefined) {
        // Read inside the write lock: another process may have appended since our last commit.
        last = this.lastEntry.get(rec.topicId)?.last_entry ?? 0;
        known.set(rec.topicId, []);
      }
      last += 1;
      next.set(rec.topicId, last);
      rec.entryId = last;
      params.push(
        rec.topicId,
        last,
        rec.publishTime,
        rec.eventTime,
        rec.deliverAt,
        rec.partitionKey ?? null,
        rec.orderingKey ?? null,
        p.propertiesJson,
        rec.data,
      );
      if (params.length === ROWS_PER_INSERT * COLUMNS) {
        this.insertRows(ROWS_PER_INSERT).run(params);
        params.length = 0;
      }
      known.get(rec.topicId)!.push(rec);
    }
    if (params.length > 0) this.insertRows(params.length / COLUMNS).run(params);
    for (const [topicId, last] of next) this.setLastEntry.run(last, topicId);
    for (const c of this.changes) {
      for (const entry of c.acks) {
        if (entry > c.markDelete) this.insertAck.run(c.subscriptionId, entry);
      }
      if (c.markDeleteChanged) {
        this.setMarkDelete.run(c.markDelete, c.subscriptionId);
        this.trimAcks.run(c.subscriptionId, c.markDelete);
      }
    }
  }
}
