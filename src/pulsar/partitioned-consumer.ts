import { EventEmitter } from 'node:events';
import type { PulsarClient } from './client.js';
import type { Consumer } from './consumer.js';
import { PulsarClientError } from './errors.js';
import type { Message } from './message.js';
import type { MessageId } from './message-id.js';
import type { ConsumerOptions } from './options.js';
import { fullTopicName, partitionIndexOf, partitionTopicName } from './topic-name.js';
import { waitForMessage, type Waiter } from './receive-waiters.js';

/**
 * One consumer over several topics, or over every partition of a partitioned topic, as the
 * Java client's MultiTopicsConsumer: one child consumer per topic/partition, their messages
 * merged into one queue (order is kept per child, not across children), acks and nacks
 * routed back to the child that delivered the message.
 *
 * Each child is pumped with `receive()` only while the merged queue has room, so prefetch
 * stays bounded by receiverQueueSize per child plus the merged queue.
 *
 * Events: 'partitionsAdded' (topic, count); 'topicGone' (topic, PulsarClientError) when the
 * broker closed a child for good (its topic or partition was deleted): the other children
 * read on, and isConnected() stays false, since that topic is no longer read; once every
 * child is gone the consumer closes ('closed').
 */
/** Options of PartitionedConsumer.subscribe: a consumer's, plus how partitions are followed. */
export type PartitionedConsumerOptions = Omit<ConsumerOptions, 'topic' | 'listener'> & {
  /**
   * How often the partition count of partitioned topics is read again, so partitions an
   * operator adds are consumed too (the Java client's autoUpdatePartitionsInterval). 0 turns
   * it off. Default 60000.
   */
  autoUpdatePartitionsIntervalMs?: number;
};

export const DEFAULT_PARTITIONS_UPDATE_MS = 60_000;

export class PartitionedConsumer extends EventEmitter {
  private readonly queue: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly owner = new WeakMap<Message, Consumer>();
  private readonly byTopic = new Map<string, Consumer>();
  private readonly capacity: number;
  private roomWaiters: Array<() => void> = [];
  private closed = false;
  /** Why the consumer closed on its own (every child's topic is gone). */
  private failure: PulsarClientError | undefined;
  /** Topics (partitions) whose child the broker closed for good, with its error. */
  private readonly gone = new Map<string, PulsarClientError>();
  private readonly updater: NodeJS.Timeout | undefined;
  private updating = false;

  private constructor(
    readonly children: Consumer[],
    private readonly subscription: string,
    capacity: number,
    private readonly client: PulsarClient,
    private readonly options: PartitionedConsumerOptions,
    /** Partitioned topics and the partitions subscribed so far. */
    private readonly partitioned: Map<string, number>,
  ) {
    super();
    this.capacity = Math.max(1, capacity);
    for (const c of children) this.adopt(c);
    const every = options.autoUpdatePartitionsIntervalMs ?? DEFAULT_PARTITIONS_UPDATE_MS;
    if (partitioned.size > 0 && every > 0) {
      this.updater = setInterval(() => void this.updatePartitions(), every);
      // Following partitions is no reason to keep a process alive.
      this.updater.unref();
    }
  }

  private adopt(child: Consumer): void {
    this.byTopic.set(child.getTopic(), child);
    child.deferAckTimeoutToCaller();
    child.on('rewound', () => this.dropQueuedOf(child));
    void this.pump(child);
  }

  /**
   * An Exclusive/Failover child rewound (a nack or an ack timeout): the broker sends all its
   * unacked messages again, so the ones of it still in the merged queue go, as the Java
   * client's multi-topic consumer clears its queue; otherwise they would come twice, and
   * ahead of the redelivered ones.
   */
  private dropQueuedOf(child: Consumer): void {
    const kept = this.queue.filter((m) => this.owner.get(m) !== child);
    if (kept.length === this.queue.length) return;
    this.queue.splice(0, this.queue.length, ...kept);
    this.wakePumps();
  }

  /** The application now holds `m`: its ack timeout starts. */
  private deliver(m: Message): Message {
    this.owner.get(m)?.startAckTimeout(m);
    return m;
  }

  /** Subscribes partitions added since the last look; a failure waits for the next one. */
  async updatePartitions(): Promise<void> {
    if (this.updating || this.closed) return;
    this.updating = true;
    let current = '';
    try {
      for (const [topic, known] of this.partitioned) {
        current = topic;
        const now = await this.client.getPartitionCount(topic).catch((err: unknown) => {
          this.client.warn(`could not look up the partitions of ${topic}`, err);
          return known;
        });
        for (let i = known; i < now && !this.closed; i++) {
          const child = await this.client.subscribePartition(
            { ...this.options, topic: partitionTopicName(topic, i) },
            i,
          );
          if (this.closed) {
            await child.close().catch(() => undefined);
            return;
          }
          this.children.push(child);
          this.adopt(child);
          this.partitioned.set(topic, i + 1);
          this.emit('partitionsAdded', topic, i + 1);
        }
      }
    } catch (err) {
      // The broker may still be creating the partition; the next look tries again.
      this.client.warn(`could not subscribe to a new partition of ${current}`, err);
    } finally {
      this.updating = false;
    }
  }

  /**
   * Subscribes to each topic; a partitioned topic contributes one child per partition.
   * If any subscription fails, the ones already made are closed.
   */
  static async subscribe(
    client: PulsarClient,
    topics: string[],
    options: PartitionedConsumerOptions,
  ): Promise<PartitionedConsumer> {
    if (options.receiverQueueSize === 0) {
      // As the Java client, which refuses a zero queue for multi-topic consumers: the merged
      // queue and one receive per child would prefetch a message per partition anyway.
      throw new PulsarClientError(
        'InvalidConfiguration',
        'receiverQueueSize 0 (no prefetch) is not valid for a PartitionedConsumer: expected 1 ' +
          'or more (client.subscribe on one topic or partition takes 0)',
      );
    }
    const children: Consumer[] = [];
    const partitioned = new Map<string, number>();
    try {
      for (const topic of topics.map(fullTopicName)) {
        const partitions = await client.getPartitionCount(topic);
        if (partitions === 0) {
          // A plain topic, or one partition named directly (its ids carry its index).
          children.push(
            await client.subscribePartition({ ...options, topic }, partitionIndexOf(topic)),
          );
          continue;
        }
        partitioned.set(topic, partitions);
        for (let i = 0; i < partitions; i++) {
          children.push(
            await client.subscribePartition({ ...options, topic: partitionTopicName(topic, i) }, i),
          );
        }
      }
    } catch (err) {
      await Promise.allSettled(children.map((c) => c.close()));
      throw err;
    }
    return new PartitionedConsumer(
      children,
      options.subscription,
      options.receiverQueueSize ?? 1000,
      client,
      options,
      partitioned,
    );
  }

  getSubscription(): string {
    return this.subscription;
  }

  isConnected(): boolean {
    return !this.closed && this.children.every((c) => c.isConnected());
  }

  /** The topics (partitions) no longer read because they were deleted, with the error each gave. */
  goneTopics(): ReadonlyMap<string, PulsarClientError> {
    return this.gone;
  }

  receive(timeoutMs?: number): Promise<Message> {
    if (this.closed)
      return Promise.reject(
        this.failure ?? new PulsarClientError('AlreadyClosed', 'consumer is closed'),
      );
    const next = this.queue.shift();
    if (next) {
      this.wakePumps();
      return Promise.resolve(this.deliver(next));
    }
    return waitForMessage(this.waiters, timeoutMs);
  }

  /** The child consumer that delivered `message`. */
  consumerOf(message: Message): Consumer {
    const c = this.owner.get(message) ?? this.byTopic.get(message.getTopicName());
    if (!c) throw new PulsarClientError('InvalidMessage', 'message not received by this consumer');
    return c;
  }

  acknowledge(message: Message): Promise<void> {
    return this.consumerOf(message).acknowledge(message);
  }

  acknowledgeCumulative(message: Message): Promise<void> {
    return this.consumerOf(message).acknowledgeCumulative(message);
  }

  negativeAcknowledge(message: Message): void {
    this.consumerOf(message).negativeAcknowledge(message);
  }

  /** Acks by id on the child of `topic` (a partition's full name for partitioned topics). */
  acknowledgeId(topic: string, id: MessageId): Promise<void> {
    const c = this.byTopic.get(topic);
    if (!c) throw new PulsarClientError('InvalidMessage', `not subscribed to ${topic}`);
    return c.acknowledgeId(id);
  }

  async unsubscribe(): Promise<void> {
    await Promise.all(this.children.map((c) => c.unsubscribe()));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.updater);
    const err = new PulsarClientError('AlreadyClosed', 'consumer closed');
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.wakePumps();
    this.queue.length = 0;
    await Promise.allSettled(this.children.map((c) => c.close()));
    this.emit('closed');
  }

  private async pump(child: Consumer): Promise<void> {
    while (!this.closed) {
      if (this.queue.length >= this.capacity) {
        await new Promise<void>((r) => this.roomWaiters.push(r));
        continue;
      }
      let m: Message;
      try {
        m = await child.receive();
      } catch (err) {
        // A closed child ends the pump; anything else (a drop while reconnecting) retries.
        if (this.closed) return;
        if (child.isClosed || (err as PulsarClientError).result === 'AlreadyClosed') {
          this.childEnded(child, err);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.closed) return;
      this.owner.set(m, child);
      const waiter = this.waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve(this.deliver(m));
      } else {
        this.queue.push(m);
      }
    }
  }

  /**
   * A child closed on its own: the broker refused it for good (its topic was deleted). It is
   * reported ('topicGone'); once no child is left open, nothing can arrive any more: the
   * consumer closes and waiting and later receives reject with that child's error.
   */
  private childEnded(child: Consumer, err: unknown): void {
    if (this.closed) return;
    const failure =
      err instanceof PulsarClientError
        ? err
        : new PulsarClientError('AlreadyClosed', 'consumer closed', { cause: err });
    this.gone.set(child.getTopic(), failure);
    this.emit('topicGone', child.getTopic(), failure);
    // A 'topicGone' listener may have closed the consumer.
    if (this.closed || !this.children.every((c) => c.isClosed)) return;
    this.failure = failure;
    this.closed = true;
    clearInterval(this.updater);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(failure);
    }
    this.wakePumps();
    this.emit('closed');
  }

  private wakePumps(): void {
    const waiting = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiting) wake();
  }
}
