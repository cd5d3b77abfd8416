import type { InitialPosition, SubscriptionType } from '../types.js';
import type { AckChanges, AckSource, GroupCommitWriter } from './group-commit-writer.js';
import { createSelector, type ConsumerLink, type ConsumerSelector } from './consumer-selector.js';
import { type Delivery, DeliveryState } from './delivery.js';
import { DelayedDeliveries } from './delayed-deliveries.js';
import { MinHeap } from './min-heap.js';
import type { Topic } from './topic.js';
import { stickyKeyHash } from './key-shared-ranges.js';
import type { StoredMessage } from './stored-message.js';

/** A consumer as its subscription sees it. */
export interface SubscriptionConsumer extends ConsumerLink {
  deliver(sub: Subscription, d: Delivery): void;
  /** One of its deliveries was acked or taken back for redelivery. */
  released(): void;
}

export interface SubscriptionState {
  id: number;
  name: string;
  type: SubscriptionType;
  markDelete: number;
  /** Individually acked entries above markDelete. */
  acked: number[];
}

/** Key_Shared keeps at most this many read-ahead messages waiting behind busy consumers. */
const KEY_SHARED_LOOKAHEAD = 10_000;

/**
 * One durable subscription and its dispatcher. Entries are read from the topic in id order
 * into `outstanding` (insertion order = id order, so its first key bounds the mark-delete
 * position), handed to consumers as their permits allow, and removed on ack. Redeliveries
 * (nack, ack timeout, closed consumer, due delayed messages) go through the `replay` heap and
 * are dispatched before new entries, oldest first.
 */
export class Subscription implements AckSource {
  readonly id: number;
  readonly name: string;
  selector: ConsumerSelector<SubscriptionConsumer>;
  markDelete: number;
  private persistedMarkDelete: number;
  private readPosition: number;
  private readonly ackedAhead: Set<number>;
  private readonly outstanding = new Map<number, Delivery>();
  private readonly replay = new MinHeap<number>((id) => id);
  private readonly delayed: DelayedDeliveries;
  private pendingAcks: number[] = [];
  private dispatchQueued = false;
  /**
   * Key_Shared consumers that joined while messages were in flight, with the read position at
   * their join. As in Pulsar, they get nothing read after that position until everything up
   * to it is acked, so a key that moved to them keeps its order.
   */
  private readonly recentlyJoined = new Map<SubscriptionConsumer, number>();
  /**
   * During one dispatch: the highest position up to which every entry is acked or still
   * delayed; undefined until a recently joined consumer needs it.
   */
  private settledThrough: number | undefined;
  private deleted = false;
  private stopped = false;

  constructor(
    readonly topic: Topic,
    state: SubscriptionState,
    private readonly writer: GroupCommitWriter,
    private readonly now: () => number,
  ) {
    this.id = state.id;
    this.name = state.name;
    this.selector = createSelector(state.type);
    this.markDelete = state.markDelete;
    this.persistedMarkDelete = state.markDelete;
    this.readPosition = state.markDelete;
    this.ackedAhead = new Set(state.acked);
    this.delayed = new DelayedDeliveries(now, (d) => {
      d.state = DeliveryState.Waiting;
      this.replay.push(d.rec.entryId);
      this.scheduleDispatch();
    });
  }

  get type(): SubscriptionType {
    return this.selector.type;
  }

  /**
   * `storedLastEntry` is the topic's sequence as stored: `topic.lastEntry` lags behind what
   * other processes appended while no subscription here watched the topic, and Latest must
   * not start before their entries.
   */
  static initialMarkDelete(
    topic: Topic,
    position: InitialPosition,
    storedLastEntry: number,
  ): number {
    return position === 'Earliest' ? 0 : Math.max(topic.lastEntry, storedLastEntry);
  }

  /** Called with no consumers attached: a subscription may change type between consumers. */
  changeType(type: SubscriptionType): void {
    this.selector = createSelector(type);
  }

  get consumerCount(): number {
    return this.selector.consumers.length;
  }

  addConsumer(c: SubscriptionConsumer): void {
    this.selector.add(c);
    // Keys moving to the newcomer may still have earlier messages unacked elsewhere; a sole
    // consumer takes every key, and the replay queue already hands it the earlier ones first.
    if (
      this.selector.type === 'KeyShared' &&
      this.outstanding.size > 0 &&
      this.selector.consumers.length > 1
    ) {
      this.recentlyJoined.set(c, this.readPosition);
    }
    this.scheduleDispatch();
  }

  /** Detaches the consumer; what it held unacked is redelivered to the others. */
  removeConsumer(c: SubscriptionConsumer): void {
    this.selector.remove(c);
    this.recentlyJoined.delete(c);
    for (const d of this.outstanding.values()) {
      if (d.consumer === c && d.state === DeliveryState.Delivered) this.requeue(d);
    }
    this.scheduleDispatch();
  }

  onNewMessages(): void {
    this.scheduleDispatch();
  }

  scheduleDispatch(): void {
    if (this.dispatchQueued || this.stopped) return;
    this.dispatchQueued = true;
    // A macrotask, not a microtask: a consumer looping on receive() must let commits and
    // timers run between refills of its receiver queue.
    setImmediate(() => {
      this.dispatchQueued = false;
      this.dispatch();
    });
  }

  /** Nack / ack timeout: back to the replay queue with the redelivery count incremented. */
  redeliver(d: Delivery, epoch: number): void {
    if (this.outstanding.get(d.rec.entryId) !== d) return;
    if (d.state !== DeliveryState.Delivered && d.state !== DeliveryState.Leaving) return;
    if (d.state === DeliveryState.Delivered && d.epoch !== epoch) return;
    this.requeue(d);
    this.scheduleDispatch();
  }

  /** The outstanding delivery of this entry, if it is still unacked. */
  delivery(entryId: number): Delivery | undefined {
    return this.outstanding.get(entryId);
  }

  isAcked(entryId: number): boolean {
    if (entryId <= this.markDelete) return true;
    if (entryId > this.readPosition) return this.ackedAhead.has(entryId);
    return !this.outstanding.has(entryId);
  }

  /** Individual ack; false when the entry was already acked. */
  ack(entryId: number): boolean {
    if (entryId <= this.markDelete) return false;
    const d = this.outstanding.get(entryId);
    if (d !== undefined) {
      this.release(d);
      d.state = DeliveryState.Acked;
      this.outstanding.delete(entryId);
    } else if (entryId > this.readPosition) {
      if (this.ackedAhead.has(entryId)) return false;
      this.ackedAhead.add(entryId);
    } else {
      return false;
    }
    this.pendingAcks.push(entryId);
    this.advanceMarkDelete();
    this.writer.markDirty(this);
    // Behind a delayed entry the mark-delete stays put, yet a newcomer may now proceed.
    if (this.recentlyJoined.size > 0) this.scheduleDispatch();
    return true;
  }

  /** Acks every outstanding entry up to and including entryId. */
  ackCumulative(entryId: number): void {
    for (const [id, d] of this.outstanding) {
      if (id > entryId) break;
      this.release(d);
      d.state = DeliveryState.Acked;
      this.outstanding.delete(id);
      this.pendingAcks.push(id);
    }
    if (entryId > this.readPosition) {
      // Not read yet, so nothing of it is outstanding: skip reading it at all.
      this.readPosition = entryId;
      for (const id of this.ackedAhead) if (id <= entryId) this.ackedAhead.delete(id);
    }
    this.advanceMarkDelete();
    this.writer.markDirty(this);
  }

  takeAckChanges(): AckChanges | undefined {
    if (this.deleted) return undefined;
    const changed = this.markDelete !== this.persistedMarkDelete;
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    this.persistedMarkDelete = this.markDelete;
    return {
      subscriptionId: this.id,
      markDelete: this.markDelete,
      acks,
      markDeleteChanged: changed,
    };
  }

  restoreAckChanges(changes: AckChanges): void {
    this.pendingAcks = changes.acks.concat(this.pendingAcks);
    // Not a position: the next take then writes the mark-delete whatever it is by then.
    if (changes.markDeleteChanged) this.persistedMarkDelete = -1;
  }

  /** Unacked entries known in memory (read but not acked). */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /** Stops dispatch and timers (broker closing); acks already made still get committed. */
  stop(): void {
    this.stopped = true;
    this.delayed.clear();
  }

  /** The subscription was unsubscribed: stop, and never write its state again. */
  markDeleted(): void {
    this.stop();
    this.deleted = true;
  }

  /**
   * This process let the subscription go (another may consume it now): stop, and never write
   * its state again. Acks not committed by now are dropped, so their messages come again.
   */
  retire(): void {
    this.markDeleted();
    this.pendingAcks = [];
  }

  private advanceMarkDelete(): void {
    let md: number;
    const first = this.outstanding.keys().next();
    if (first.done) md = this.readPosition;
    else md = first.value - 1;
    if (md <= this.markDelete) return;
    this.markDelete = md;
    if (this.recentlyJoined.size > 0) this.scheduleDispatch();
  }

  private release(d: Delivery): void {
    if (d.state === DeliveryState.Delivered || d.state === DeliveryState.Leaving) {
      (d.consumer as SubscriptionConsumer).released();
    }
  }

  private requeue(d: Delivery): void {
    this.release(d);
    d.state = DeliveryState.Waiting;
    d.consumer = null;
    d.redeliveryCount += 1;
    this.replay.push(d.rec.entryId);
  }

  private give(c: SubscriptionConsumer, d: Delivery): void {
    d.state = DeliveryState.Delivered;
    d.consumer = c;
    d.epoch += 1;
    c.deliver(this, d);
  }

  private dispatch(): void {
    const sel = this.selector;
    if (this.stopped || sel.consumers.length === 0) return;
    this.settledThrough = undefined;
    const keyShared = sel.type === 'KeyShared';
    // Key_Shared: a slot whose message had to wait blocks its later messages, to keep key order.
    const blocked = keyShared ? new Set<number>() : undefined;
    if (this.replay.size > 0) this.dispatchReplay(blocked);
    const delays = keyShared || sel.type === 'Shared';
    const now = this.now();
    while (sel.hasPermits() && this.readPosition < this.topic.lastEntry) {
      if (this.replay.size > 0 && (!keyShared || this.replay.size > KEY_SHARED_LOOKAHEAD)) break;
      const recs = this.topic.read(this.readPosition);
      if (recs.length === 0) {
        // Rows deleted (retention or admin) between here and the tail.
        this.readPosition = this.topic.lastEntry;
        break;
      }
      for (const rec of recs) {
        const id = rec.entryId;
        this.readPosition = id;
        if (this.ackedAhead.size > 0 && this.ackedAhead.delete(id)) continue;
        const d: Delivery = {
          rec,
          state: DeliveryState.Waiting,
          redeliveryCount: 0,
          consumer: null,
          epoch: 0,
        };
        this.outstanding.set(id, d);
        if (delays && rec.deliverAt > now) {
          d.state = DeliveryState.Delayed;
          this.delayed.add(d);
          continue;
        }
        const c =
          blocked !== undefined && this.isBlocked(rec, blocked) ? undefined : this.select(rec);
        if (c !== undefined) this.give(c, d);
        else {
          this.replay.push(id);
          if (blocked !== undefined) blocked.add(rec.stickyHash!);
        }
      }
    }
    this.advanceMarkDelete();
  }

  private select(rec: StoredMessage): SubscriptionConsumer | undefined {
    const c = this.selector.select(rec);
    if (c === undefined || this.recentlyJoined.size === 0) return c;
    const joinedAt = this.recentlyJoined.get(c);
    if (joinedAt === undefined) return c;
    if (this.markDelete >= joinedAt || this.settledUpTo() >= joinedAt) {
      this.recentlyJoined.delete(c);
      return c;
    }
    return rec.entryId > joinedAt ? undefined : c;
  }

  /**
   * How far every entry is acked or still delayed. A delayed
   * message (deliverAfter of an hour, a retry) holds the mark-delete position back, but nobody
   * holds its key meanwhile, so it must not hold a newcomer back: that would stall the newcomer
   * for the whole delay, and past the read-ahead limit the subscription with it.
   */
  private settledUpTo(): number {
    if (this.settledThrough !== undefined) return this.settledThrough;
    let through = this.readPosition;
    for (const [id, d] of this.outstanding) {
      if (d.state !== DeliveryState.Delayed) {
        through = id - 1;
        break;
      }
    }
    this.settledThrough = through;
    return through;
  }

  private isBlocked(rec: StoredMessage, blocked: Set<number>): boolean {
    rec.stickyHash ??= stickyKeyHash(rec.orderingKey, rec.partitionKey);
    return blocked.has(rec.stickyHash);
  }

  private dispatchReplay(blocked: Set<number> | undefined): void {
    const sel = this.selector;
    const skipped: number[] = [];
    while (this.replay.size > 0 && sel.hasPermits()) {
      const id = this.replay.pop()!;
      const d = this.outstanding.get(id);
      if (d === undefined || d.state !== DeliveryState.Waiting) continue;
      const c =
        blocked !== undefined && this.isBlocked(d.rec, blocked) ? undefined : this.select(d.rec);
      if (c !== undefined) {
        this.give(c, d);
      } else if (blocked !== undefined) {
        blocked.add(d.rec.stickyHash!);
        skipped.push(id);
      } else {
        skipped.push(id);
        break;
      }
    }
    for (const id of skipped) this.replay.push(id);
  }
}
