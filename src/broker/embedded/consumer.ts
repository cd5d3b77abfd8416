import { BrokerError } from '../errors.js';
import type {
  Consumer,
  ConsumerConfig,
  Message,
  MessageId,
  MessageListener,
  SubscriptionType,
} from '../types.js';
import { DeadlineQueue } from './deadline-queue.js';
import { MAX_TIMER_DELAY_MS } from './timer-delay.js';
import { type Delivery, DeliveryState } from './delivery.js';
import type { LetterRouter } from './dead-letter.js';
import { EmbeddedMessage } from './stored-message.js';
import type { Subscription, SubscriptionConsumer } from './subscription.js';

interface Held {
  sub: Subscription;
  d: Delivery;
  epoch: number;
}

export interface ConsumerHost {
  now(): number;
  /** Resolves when the acks queued so far are committed. */
  nextCommit(): Promise<void>;
  /** Resolves once what the consumer acked is stored and its subscriptions are free. */
  onConsumerClosed(consumer: EmbeddedConsumer): Promise<void>;
}

const DEFAULT_RECEIVER_QUEUE = 1000;
/** Pulsar's maxUnackedMessagesPerConsumer: a Shared consumer holding this many gets no more. */
export const DEFAULT_MAX_UNACKED = 50_000;
const DEFAULT_NACK_DELAY = 60_000;

/**
 * A consumer over one or more subscriptions (several topics, plus the retry topic). It owns a
 * receiver queue bounded by receiverQueueSize (its permits), and the client-side parts of
 * Pulsar's consumer: nack delay, ack timeout, and dead-lettering after maxRedeliverCount.
 */
export class EmbeddedConsumer implements Consumer, SubscriptionConsumer {
  readonly consumerName: string;
  private readonly subs = new Map<number, Subscription>();
  private queue: Held[] = [];
  private qHead = 0;
  private waiters: Array<{
    resolve(m: Message): void;
    reject(e: Error): void;
    timer?: NodeJS.Timeout;
  }> = [];
  private readonly receiverQueueSize: number;
  private readonly nacks: DeadlineQueue<Held>;
  private readonly ackTimeouts: DeadlineQueue<Held> | undefined;
  private readonly listener: MessageListener | undefined;
  private draining = false;
  private closed = false;
  private unacked = 0;
  /** Set on reaching maxUnacked, cleared at half of it, as Pulsar blocks a consumer. */
  private blockedOnUnacked = false;
  private readonly maxUnacked: number;

  constructor(
    private readonly config: ConsumerConfig,
    readonly subscriptionType: SubscriptionType,
    private readonly host: ConsumerHost,
    private readonly letters: LetterRouter,
    name: string,
    maxUnacked = DEFAULT_MAX_UNACKED,
  ) {
    this.consumerName = name;
    // Only Shared and KeyShared are limited, as in Pulsar.
    this.maxUnacked =
      subscriptionType === 'Shared' || subscriptionType === 'KeyShared' ? maxUnacked : Infinity;
    this.receiverQueueSize = Math.max(1, config.receiverQueueSize ?? DEFAULT_RECEIVER_QUEUE);
    const now = () => host.now();
    this.nacks = new DeadlineQueue(config.nAckRedeliverTimeoutMs ?? DEFAULT_NACK_DELAY, now, (h) =>
      this.redeliver(h),
    );
    if (config.ackTimeoutMs && config.ackTimeoutMs > 0) {
      this.ackTimeouts = new DeadlineQueue(config.ackTimeoutMs, now, (h) => this.redeliver(h));
    }
    this.listener = config.listener;
  }

  /** Attaches to a subscription; called by the broker for each topic before first use. */
  attach(sub: Subscription): void {
    sub.addConsumer(this);
    this.subs.set(sub.topic.id, sub);
  }

  detachAll(): void {
    for (const sub of this.subs.values()) sub.removeConsumer(this);
  }

  subscriptions(): Iterable<Subscription> {
    return this.subs.values();
  }

  // ---- SubscriptionConsumer ----

  permits(): number {
    if (this.closed || this.blockedOnUnacked) return 0;
    return this.receiverQueueSize - (this.queue.length - this.qHead);
  }

  released(): void {
    this.unacked--;
    if (this.blockedOnUnacked && this.unacked <= this.maxUnacked >> 1) {
      this.blockedOnUnacked = false;
      for (const sub of this.subs.values()) sub.scheduleDispatch();
    }
  }

  deliver(sub: Subscription, d: Delivery): void {
    if (++this.unacked >= this.maxUnacked) this.blockedOnUnacked = true;
    const held: Held = { sub, d, epoch: d.epoch };
    if (this.listener === undefined && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.handOut(held));
      return;
    }
    this.queue.push(held);
    if (this.listener !== undefined) this.drain();
  }

  // ---- Consumer ----

  receive(timeoutMs?: number): Promise<Message> {
    if (this.closed) return Promise.reject(new BrokerError('AlreadyClosed', 'consumer is closed'));
    if (this.listener !== undefined) {
      return Promise.reject(new BrokerError('NotAllowed', 'receive() with a listener set'));
    }
    const held = this.take();
    if (held !== undefined) return Promise.resolve(this.handOut(held));
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { resolve, reject };
      // Longer than setTimeout allows (it would fire after 1 ms): wait without a deadline.
      if (timeoutMs !== undefined && timeoutMs > 0 && timeoutMs <= MAX_TIMER_DELAY_MS) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new BrokerError('Timeout', `no message within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  acknowledge(message: Message): Promise<void> {
    if (message instanceof EmbeddedMessage) {
      const sub = this.subs.get(message.stored.topicId);
      if (sub !== undefined && !this.closed) {
        sub.ack(message.stored.entryId);
        return this.host.nextCommit();
      }
    }
    return this.acknowledgeId(message.getMessageId());
  }

  acknowledgeId(messageId: MessageId): Promise<void> {
    try {
      const [sub, entryId] = this.locate(messageId);
      sub.ack(entryId);
      return this.host.nextCommit();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  acknowledgeCumulative(message: Message): Promise<void> {
    try {
      if (this.subscriptionType !== 'Exclusive' && this.subscriptionType !== 'Failover') {
        throw new BrokerError(
          'NotAllowed',
          `cumulative ack is not supported on ${this.subscriptionType} subscriptions`,
        );
      }
      const [sub, entryId] = this.locate(message.getMessageId());
      sub.ackCumulative(entryId);
      return this.host.nextCommit();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  negativeAcknowledge(message: Message): void {
    const [sub, entryId] = this.locate(message.getMessageId());
    const d = sub.delivery(entryId);
    if (d === undefined || d.consumer !== this || d.state !== DeliveryState.Delivered) return;
    this.nacks.add({ sub, d, epoch: d.epoch });
  }

  async reconsumeLater(
    message: Message,
    delayMs: number,
    properties?: Record<string, string>,
  ): Promise<void> {
    if (this.letters.retryTopic === undefined) {
      throw new BrokerError('NotAllowed', 'reconsumeLater needs retryEnable on the consumer');
    }
    this.locate(message.getMessageId());
    await this.letters.reconsume(message, Math.max(0, delayMs), properties);
    await this.acknowledge(message);
  }

  async unsubscribe(): Promise<void> {
    this.assertOpen();
    for (const sub of this.subs.values()) {
      if (sub.consumerCount > 1) {
        throw new BrokerError('NotAllowed', `subscription ${sub.name} has other consumers`);
      }
    }
    await this.close({ unsubscribe: true });
  }

  async close(opts?: { unsubscribe?: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nacks.clear();
    this.ackTimeouts?.clear();
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new BrokerError('AlreadyClosed', 'consumer closed'));
    }
    this.queue = [];
    this.qHead = 0;
    this.detachAll();
    this.unsubscribeRequested = opts?.unsubscribe === true;
    // A message on its way to the dead-letter topic is acked once its letter is stored: that
    // ack must be in before the subscription is handed over, or the message comes again.
    await Promise.allSettled(this.leaving);
    const handedOver = this.host.onConsumerClosed(this);
    await this.letters.close();
    await handedOver;
  }

  /** Set by unsubscribe(), read by the broker when it sees the close. */
  unsubscribeRequested = false;
  /** Dead-letter hand-offs under way: each acks its message once the letter is stored. */
  private readonly leaving = new Set<Promise<unknown>>();

  isConnected(): boolean {
    return !this.closed;
  }

  getSubscription(): string {
    return this.config.subscription;
  }

  // ---- internals ----

  private assertOpen(): void {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'consumer is closed');
  }

  private locate(messageId: MessageId): [Subscription, number] {
    this.assertOpen();
    const sub = this.subs.get(Number(messageId.ledgerId));
    const entryId = Number(messageId.entryId);
    if (sub === undefined || entryId < 1 || entryId > sub.topic.lastEntry) {
      throw new BrokerError(
        'UnknownMessageId',
        `message ${messageId.toString()} is not from this consumer's topics`,
      );
    }
    return [sub, entryId];
  }

  private take(): Held | undefined {
    while (this.qHead < this.queue.length) {
      const held = this.queue[this.qHead++];
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
      if (this.queue.length - this.qHead <= this.receiverQueueSize >> 1) {
        for (const sub of this.subs.values()) sub.scheduleDispatch();
      }
      const d = held.d;
      if (d.state === DeliveryState.Delivered && d.consumer === this && d.epoch === held.epoch) {
        return held;
      }
    }
    return undefined;
  }

  private handOut(held: Held): Message {
    this.ackTimeouts?.add(held);
    return new EmbeddedMessage(held.d.rec, held.d.redeliveryCount);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let held = this.take(); held !== undefined && !this.closed; held = this.take()) {
        try {
          await this.listener!(this.handOut(held), this);
        } catch {
          // A throwing listener leaves the message unacked; ack timeout or nack redelivers it.
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Nack delay or ack timeout expired: redeliver, or dead-letter past maxRedeliverCount. */
  private redeliver(items: Held[]): void {
    const max = this.letters.maxRedeliverCount;
    for (const { sub, d, epoch } of items) {
      if (d.state !== DeliveryState.Delivered || d.consumer !== this || d.epoch !== epoch) continue;
      if (max !== undefined && d.redeliveryCount >= max) {
        d.state = DeliveryState.Leaving;
        const msg = new EmbeddedMessage(d.rec, d.redeliveryCount);
        const handOff = this.letters.deadLetter(msg).then(
          () => sub.ack(d.rec.entryId),
          () => sub.redeliver(d, epoch),
        );
        this.leaving.add(handOff);
        void handOff.finally(() => this.leaving.delete(handOff));
      } else {
        sub.redeliver(d, epoch);
      }
    }
  }
}
