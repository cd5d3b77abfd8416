import type { MessageId } from './message-id.js';

/** One delivered copy of a batched entry: the indexes handed over and not yet acked. */
interface DeliveredBatch {
  readonly entryKey: string;
  readonly pending: Set<number>;
}

/**
 * Holds the ack of a batched entry until every message of one delivered copy of it is
 * acked: the broker acks whole entries, so acking the entry at the first message would lose
 * the others.
 *
 * The state travels with the message ids of the copy (as Java's BatchMessageAcker does), not
 * with the entry: after a nack, an ack timeout or a reconnection the entry comes again as a
 * new copy, while the application may still ack messages of the old one. Those acks count
 * against the old copy only, so they can never ack an entry whose other messages are due
 * again. An id this tracker never delivered is never taken as completing its entry.
 */
export class BatchAckTracker {
  /** Each delivered batched id -> its copy; weak, so ids the application drops go too. */
  private readonly byId = new WeakMap<MessageId, DeliveredBatch>();
  /** Copies not redelivered since, by entry key: for cumulative acks and rebuilt ids. */
  private readonly live = new Map<string, DeliveredBatch[]>();

  /** Registers a delivered copy of a batch: the ids the application will see. */
  track(ids: readonly MessageId[]): void {
    if (ids.length === 0) return;
    const copy: DeliveredBatch = {
      entryKey: ids[0].entryKey(),
      pending: new Set(ids.map((id) => id.batchIndex)),
    };
    for (const id of ids) this.byId.set(id, copy);
    const list = this.live.get(copy.entryKey);
    if (list) list.push(copy);
    else this.live.set(copy.entryKey, [copy]);
  }

  /**
   * Marks one message acked; true when this ack completed its copy, so the entry can be
   * acked. An id not delivered by this tracker (rebuilt by the application) counts against
   * a live copy still holding its index, else it is ignored: the broker redelivers it.
   */
  ack(id: MessageId): boolean {
    const copy =
      this.byId.get(id) ?? this.live.get(id.entryKey())?.find((c) => c.pending.has(id.batchIndex));
    if (!copy || !copy.pending.delete(id.batchIndex) || copy.pending.size > 0) return false;
    this.drop(copy);
    return true;
  }

  /** Marks every message up to and including `id` acked (cumulative ack). */
  ackUpTo(id: MessageId): void {
    for (const [key, copies] of this.live) {
      const [ledger, entry, partition] = key.split(':').map(BigInt);
      if (Number(partition) !== id.partition) continue;
      const before = ledger < id.ledgerId || (ledger === id.ledgerId && entry < id.entryId);
      const same = ledger === id.ledgerId && entry === id.entryId;
      if (!before && !same) continue;
      for (const copy of [...copies]) {
        for (const i of copy.pending) if (before || i <= id.batchIndex) copy.pending.delete(i);
        if (copy.pending.size === 0) this.drop(copy);
      }
    }
  }

  /**
   * The entry will be redelivered as a new copy. Its old copies stay reachable from the ids
   * the application holds (acks of those still count against them) but no longer from the
   * entry key.
   */
  forget(entryKey: string): void {
    this.live.delete(entryKey);
  }

  /** Every entry will be redelivered (reconnection, rewind): see forget. */
  clear(): void {
    this.live.clear();
  }

  private drop(copy: DeliveredBatch): void {
    const list = this.live.get(copy.entryKey);
    if (!list) return;
    const i = list.indexOf(copy);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.live.delete(copy.entryKey);
  }
}

/**
 * Message ids with a due time, for the ack-timeout tracker (due = delivery + ackTimeout) and
 * the negative-ack tracker (due = nack + delay). `takeDue` returns the ids whose time came.
 */
export class TimedIds {
  private readonly due = new Map<string, { id: MessageId; at: number }>();

  get size(): number {
    return this.due.size;
  }

  add(id: MessageId, at: number): void {
    this.due.set(id.toString(), { id, at });
  }

  remove(id: MessageId): void {
    this.due.delete(id.toString());
  }

  /** Removes every id at or before `upTo` (cumulative ack). */
  removeUpTo(upTo: MessageId): void {
    for (const [k, v] of this.due) if (v.id.compare(upTo) <= 0) this.due.delete(k);
  }

  takeDue(now: number): MessageId[] {
    const out: MessageId[] = [];
    for (const [k, v] of this.due) {
      if (v.at <= now) {
        out.push(v.id);
        this.due.delete(k);
      }
    }
    return out;
  }

  clear(): void {
    this.due.clear();
  }
}
