import { BrokerError } from '../errors.js';
import type { SubscriptionType } from '../types.js';
import { KeySharedRanges, stickyKeyHash } from './key-shared-ranges.js';
import type { StoredMessage } from './stored-message.js';

/** What a subscription's dispatcher sees of a consumer. */
export interface ConsumerLink {
  readonly consumerName: string;
  /** Free slots in the consumer's receiver queue. */
  permits(): number;
}

/** Picks the consumer of each message for one subscription type. */
export interface ConsumerSelector<C extends ConsumerLink> {
  readonly type: SubscriptionType;
  add(consumer: C): void;
  remove(consumer: C): void;
  /** The consumer this message must go to if it has a permit now; undefined otherwise. */
  select(rec: StoredMessage): C | undefined;
  /** The owner of this message regardless of permits (KeyShared ordering); undefined if none. */
  owner(rec: StoredMessage): C | undefined;
  hasPermits(): boolean;
  readonly consumers: readonly C[];
}

/** Exclusive and Failover: one active consumer, the earliest connected. */
class SingleActiveSelector<C extends ConsumerLink> implements ConsumerSelector<C> {
  readonly consumers: C[] = [];
  constructor(readonly type: 'Exclusive' | 'Failover') {}

  add(consumer: C): void {
    if (this.type === 'Exclusive' && this.consumers.length > 0) {
      throw new BrokerError('ConsumerBusy', 'Exclusive subscription already has a consumer');
    }
    this.consumers.push(consumer);
  }
  remove(consumer: C): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
  }
  owner(): C | undefined {
    return this.consumers[0];
  }
  select(): C | undefined {
    const c = this.consumers[0];
    return c !== undefined && c.permits() > 0 ? c : undefined;
  }
  hasPermits(): boolean {
    return this.select() !== undefined;
  }
}

/** Shared: round robin over consumers that have permits. */
class SharedSelector<C extends ConsumerLink> implements ConsumerSelector<C> {
  readonly type = 'Shared' as const;
  readonly consumers: C[] = [];
  private next = 0;

  add(consumer: C): void {
    this.consumers.push(consumer);
  }
  remove(consumer: C): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
  }
  owner(): C | undefined {
    return this.select();
  }
  select(): C | undefined {
    const n = this.consumers.length;
    for (let k = 0; k < n; k++) {
      const c = this.consumers[(this.next + k) % n];
      if (c.permits() > 0) {
        this.next = (this.next + k + 1) % n;
        return c;
      }
    }
    return undefined;
  }
  hasPermits(): boolean {
    return this.consumers.some((c) => c.permits() > 0);
  }
}

/** KeyShared: the owner of the message's hash slot, only when it has a permit. */
class KeySharedSelector<C extends ConsumerLink> implements ConsumerSelector<C> {
  readonly type = 'KeyShared' as const;
  readonly consumers: C[] = [];
  private readonly ranges = new KeySharedRanges<C>();

  add(consumer: C): void {
    try {
      this.ranges.add(consumer);
    } catch (err) {
      throw new BrokerError('ConsumerBusy', 'no Key_Shared hash range left', { cause: err });
    }
    this.consumers.push(consumer);
  }
  remove(consumer: C): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) this.consumers.splice(i, 1);
    this.ranges.remove(consumer);
  }
  owner(rec: StoredMessage): C | undefined {
    rec.stickyHash ??= stickyKeyHash(rec.orderingKey, rec.partitionKey);
    return this.ranges.select(rec.stickyHash);
  }
  select(rec: StoredMessage): C | undefined {
    const c = this.owner(rec);
    return c !== undefined && c.permits() > 0 ? c : undefined;
  }
  hasPermits(): boolean {
    return this.consumers.some((c) => c.permits() > 0);
  }
}

export function createSelector<C extends ConsumerLink>(
  type: SubscriptionType,
): ConsumerSelector<C> {
  switch (type) {
    case 'Exclusive':
    case 'Failover':
      return new SingleActiveSelector<C>(type);
    case 'Shared':
      return new SharedSelector<C>();
    case 'KeyShared':
      return new KeySharedSelector<C>();
    default:
      throw new BrokerError('InvalidArgument', `unknown subscription type: ${String(type)}`);
  }
}
