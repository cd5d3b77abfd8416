import { EventEmitter } from 'node:events';
import type { PulsarClient } from './client.js';
import type { Consumer } from './consumer.js';
import { PulsarClientError } from './errors.js';
import type { Message } from './message.js';
import type { MessageId } from './message-id.js';
import type { ConsumerOptions } from './options.js';
import { fullTopicName, partitionTopicName } from './topic-name.js';
import { waitForMessage, type Waiter } from './receive-waiters.js';

/**
 * One consumer over several topics, or over every partition of a partitioned topic, as the
 * Java client's MultiTopicsConsumer: one child consumer per topic/partition, their messages
 * merged into one queue (order is kept per child, not across children), acks and nacks
 * routed back to the child that delivered the message.
 *
 * Each child is pumped with `receive()` only while the merged queue has room, so prefetch
 * stays bounded by receiverQueueSize per child plus the merged queue.
 */
export class PartitionedConsumer extends EventEmitter {
  private readonly queue: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly owner = new WeakMap<Message, Consumer>();
  private readonly byTopic = new Map<string, Consumer>();
  private readonly capacity: number;
  private roomWaiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly children: Consumer[],
    private readonly subscription: string,
    capacity: number,
  ) {
    super();
    this.capacity = Math.max(1, capacity);
    for (const c of children) {
      this.byTopic.set(c.getTopic(), c);
      void this.pump(c);
    }
  }

  /**
   * Subscribes to each topic; a partitioned topic contributes one child per partition.
   * If any subscription fails, the ones already made are closed.
   */
  static async subscribe(
    client: PulsarClient,
    topics: string[],
    options: Omit<ConsumerOptions, 'topic' | 'listener'>,
  ): Promise<PartitionedConsumer> {
    const children: Consumer[] = [];
    try {
      for (const topic of topics.map(fullTopicName)) {
        const partitions = await client.getPartitionCount(topic);
        if (partitions === 0) {
          children.push(await client.subscribePartition({ ...options, topic }, -1));
          continue;
        }
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
    );
  }

  getSubscription(): string {
    return this.subscription;
  }

  isConnected(): boolean {
    return !this.closed && this.children.every((c) => c.isConnected());
  }

  receive(timeoutMs?: number): Promise<Message> {
    if (this.closed)
      return Promise.reject(new PulsarClientError('AlreadyClosed', 'consumer is closed'));
    const next = this.queue.shift();
    if (next) {
      this.wakePumps();
      return Promise.resolve(next);
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
        // AlreadyClosed ends the pump; anything else (a drop while reconnecting) retries.
        if (this.closed || (err as PulsarClientError).result === 'AlreadyClosed') return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.closed) return;
      this.owner.set(m, child);
      const waiter = this.waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve(m);
      } else {
        this.queue.push(m);
      }
    }
  }

  private wakePumps(): void {
    const waiting = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiting) wake();
  }
}
