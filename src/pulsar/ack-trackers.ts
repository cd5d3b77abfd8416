import type { MessageId } from './message-id.js';

/**
 * Holds the ack of a batched entry until every message of the batch is acked: the broker
 * acks whole entries, so acking the entry at the first message would lose the others.
 */
export class BatchAckTracker {
  /** entry key -> indexes delivered and not yet acked. */
  private readonly open = new Map<string, Set<number>>();

  /** Registers a delivered batch and the indexes the application will see. */
  track(entryKey: string, indexes: Iterable<number>): void {
    this.open.set(entryKey, new Set(indexes));
  }

  /** Marks one message acked; true when its entry has no unacked message left. */
  ack(id: MessageId): boolean {
    const key = id.entryKey();
    const left = this.open.get(key);
    if (!left) return true;
    left.delete(id.batchIndex);
    if (left.size > 0) return false;
    this.open.delete(key);
    return true;
  }

  /** Marks every message up to and including `id` acked (cumulative ack). */
  ackUpTo(id: MessageId): void {
    for (const [key, left] of this.open) {
      const [ledger, entry, partition] = key.split(':').map(BigInt);
      if (Number(partition) !== id.partition) continue;
      if (ledger < id.ledgerId || (ledger === id.ledgerId && entry < id.entryId))
        this.open.delete(key);
      else if (ledger === id.ledgerId && entry === id.entryId) {
        for (const i of left) if (i <= id.batchIndex) left.delete(i);
        if (left.size === 0) this.open.delete(key);
      }
    }
  }

  /** The entry will be redelivered whole: forget what was acked of it. */
  forget(entryKey: string): void {
    this.open.delete(entryKey);
  }

  clear(): void {
    this.open.clear();
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
