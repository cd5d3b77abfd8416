import { EventEmitter } from 'node:events';
import { BatchAckTracker, TimedIds } from './ack-trackers.js';
import { ChunkAssembler, type Chunk } from './chunk-assembler.js';
import { toKeyValues } from './batch-payload.js';
import { BaseCommand_Type as T } from './commands.js';
import { CompressionError } from './compression/index.js';
import type { Connection, ConsumerHandler } from './connection.js';
import { assertStillOpen, isPermanentRefusal, isTimeout, PulsarClientError } from './errors.js';
import { singleMessage, unpackEntry } from './entry-unpacker.js';
import type { PayloadSection } from './frame-decoder.js';
import type { Message } from './message.js';
import { MessageId } from './message-id.js';
import {
  CONSUMER_DEFAULTS,
  withDefaults,
  type ConsumerApi,
  type ConsumerOptions,
} from './options.js';
import {
  CommandAck_AckType as AckType,
  CommandAck_ValidationError as ValidationError,
  CommandSubscribe_InitialPosition as InitialPosition,
  CommandSubscribe_SubType as SubType,
  KeySharedMode,
  type CommandMessage,
} from './proto/generated/PulsarApi_pb.js';
import { waitForMessage, type Waiter } from './receive-waiters.js';

export interface ConsumerInternals {
  connection: Connection;
  consumerId: bigint;
  topic: string;
  /** Partition index of `topic`, -1 for a non-partitioned topic. */
  partition: number;
}

type Resolved = Required<Omit<ConsumerOptions, 'consumerName' | 'listener' | 'properties'>> &
  Pick<ConsumerOptions, 'consumerName' | 'listener' | 'properties'>;

const SUB_TYPES = {
  Exclusive: SubType.Exclusive,
  Shared: SubType.Shared,
  Failover: SubType.Failover,
  KeyShared: SubType.Key_Shared,
} as const;

/**
 * Consumes one (non-partitioned topic or one partition of a) topic for one subscription.
 *
 * Events: 'activeChange' (isActive: boolean) for Failover/Exclusive; 'discarded'
 * ({ id, reason }) when a message with a bad checksum or payload is dropped and acked with
 * a validation error; 'disconnected' (PulsarClientError) when the broker closes the consumer
 * or the connection drops. With no 'disconnected' listener the waiting receives fail; a
 * listener (the reconnection hook) keeps them waiting.
 */
export class Consumer extends EventEmitter implements ConsumerApi {
  private readonly opts: Resolved;
  private readonly queue: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly batches = new BatchAckTracker();
  private readonly chunks = new ChunkAssembler();
  /** Id of a reassembled chunked message -> the entries of all its chunks (acked together). */
  private readonly chunkEntries = new Map<string, MessageId[]>();
  private readonly unacked = new TimedIds();
  private readonly nacked = new TimedIds();
  private permitsToReturn = 0;
  /** receiverQueueSize 0: a permit was given to the broker and no message has used it yet. */
  private permitOut = false;
  private state: 'ready' | 'closed' | 'disconnected' = 'ready';
  private active: boolean | undefined;
  private listenerBusy = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private nackTimer: NodeJS.Timeout | undefined;
  private connection: Connection;
  private readonly handler: ConsumerHandler;
  /** Why the broker refused this consumer for good (its topic was deleted). */
  private failure: PulsarClientError | undefined;
  /** Set by PartitionedConsumer: the ack timeout starts in startAckTimeout(), not here. */
  private deferAckTimeout = false;

  private constructor(
    private readonly internals: ConsumerInternals,
    options: ConsumerOptions,
  ) {
    super();
    this.opts = withDefaults(CONSUMER_DEFAULTS, options) as Resolved;
    this.connection = internals.connection;
    this.handler = {
      onMessage: (cmd, payload) => this.onMessage(cmd, payload),
      onActiveConsumerChange: (isActive) => {
        this.active = isActive;
        this.emit('activeChange', isActive);
      },
      onReachedEndOfTopic: () => this.emit('endOfTopic'),
      onClosedByBroker: () =>
        this.onDisconnected(
          new PulsarClientError('BrokerClosed', `broker closed consumer on ${internals.topic}`),
        ),
      onConnectionClosed: (err) => this.onDisconnected(err),
    };
  }

  /**
   * Sends SUBSCRIBE, then the first FLOW of receiverQueueSize permits (with 0, a permit only
   * while a receive() or the listener waits).
   */
  static async subscribe(
    internals: ConsumerInternals,
    options: ConsumerOptions,
  ): Promise<Consumer> {
    checkReceiverQueueSize(options.receiverQueueSize);
    const c = new Consumer(internals, options);
    const { connection, consumerId } = internals;
    // Registered before SUBSCRIBE: ACTIVE_CONSUMER_CHANGE can follow SUCCESS in the same read.
    connection.registerConsumer(consumerId, c.handler);
    try {
      await c.sendSubscribe(connection);
      assertStillOpen(connection, internals.topic);
    } catch (err) {
      connection.unregisterConsumer(consumerId);
      // The broker may still create it after our timeout: close it there.
      if (isTimeout(err)) connection.release('consumer', consumerId);
      throw err;
    }
    c.startTimers();
    c.initialFlow();
    return c;
  }

  getTopic(): string {
    return this.internals.topic;
  }

  private async sendSubscribe(connection: Connection): Promise<void> {
    const requestId = connection.newRequestId();
    await connection.request(
      {
        type: T.SUBSCRIBE,
        subscribe: {
          topic: this.internals.topic,
          subscription: this.opts.subscription,
          subType: SUB_TYPES[this.opts.subscriptionType],
          consumerId: this.internals.consumerId,
          requestId,
          consumerName: this.opts.consumerName,
          priorityLevel: this.opts.priorityLevel,
          durable: true,
          initialPosition:
            this.opts.subscriptionInitialPosition === 'Earliest'
              ? InitialPosition.Earliest
              : InitialPosition.Latest,
          keySharedMeta:
            this.opts.subscriptionType === 'KeyShared'
              ? { keySharedMode: KeySharedMode.AUTO_SPLIT }
              : undefined,
          metadata: toKeyValues(this.opts.properties),
        },
      },
      requestId,
    );
  }

  /** True once close() or unsubscribe() was called: a reconnection hook stops trying. */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Subscribes again on `connection` (same consumer id and subscription) after a lost
   * connection or a broker-initiated close. Prefetched messages are dropped, since the
   * broker redelivers everything unacked, and the permits start over at receiverQueueSize.
   */
  async resume(connection: Connection): Promise<void> {
    if (this.state !== 'disconnected') return;
    connection.registerConsumer(this.internals.consumerId, this.handler);
    try {
      await this.sendSubscribe(connection);
      // The connection can drop between the broker's SUCCESS and this line (a later frame
      // of the same read): resuming on it would leave the consumer "ready" and deaf.
      assertStillOpen(connection, this.internals.topic);
    } catch (err) {
      connection.unregisterConsumer(this.internals.consumerId);
      if (isTimeout(err)) connection.release('consumer', this.internals.consumerId);
      throw err;
    }
    if (this.state !== 'disconnected') {
      // Closed while subscribing again: the broker has the consumer now, take it back.
      connection.unregisterConsumer(this.internals.consumerId);
      connection.release('consumer', this.internals.consumerId);
      return;
    }
    this.connection = connection;
    this.internals.connection = connection;
    this.queue.length = 0;
    this.batches.clear();
    this.permitsToReturn = 0;
    this.permitOut = false;
    this.state = 'ready';
    this.initialFlow();
    this.emit('reconnected');
  }

  /**
   * Called by the reconnection loop with a failed attempt. When the topic no longer exists
   * (deleted while auto-creation is off) the consumer closes, as the Java client's does:
   * waiting receives reject with that TopicNotFound error, as do later ones, and no more
   * attempts are made. Returns true then.
   */
  giveUp(err: unknown): boolean {
    if (this.state !== 'disconnected' || !isPermanentRefusal(err, 'consumer')) return false;
    this.failure = err as PulsarClientError;
    this.teardown(this.failure);
    return true;
  }

  getSubscription(): string {
    return this.opts.subscription;
  }

  /** Subscribed on an open connection whose broker answers (see Connection.suspect). */
  isConnected(): boolean {
    return this.state === 'ready' && this.connection.unansweredSince === undefined;
  }

  /** For Failover/Exclusive: whether the broker made this consumer the active one (undefined until told). */
  isActive(): boolean | undefined {
    return this.active;
  }

  /** Next message; rejects with Timeout when `timeoutMs` passes first (default: wait forever). */
  receive(timeoutMs?: number): Promise<Message> {
    if (this.state === 'closed')
      return Promise.reject(
        this.failure ?? new PulsarClientError('AlreadyClosed', 'consumer is closed'),
      );
    if (this.opts.listener) {
      return Promise.reject(
        new PulsarClientError('InvalidConfiguration', 'receive() cannot be used with a listener'),
      );
    }
    const next = this.queue.shift();
    if (next) return Promise.resolve(this.handOver(next));
    const waiting = waitForMessage(this.waiters, timeoutMs);
    this.askForOne();
    return waiting;
  }

  async acknowledge(message: Message): Promise<void> {
    return this.acknowledgeId(message.getMessageId());
  }

  /** Individual ack. A batched message's entry is acked once every message of the batch is. */
  async acknowledgeId(id: MessageId): Promise<void> {
    this.assertOpen();
    this.unacked.remove(id);
    const chunkEntries = this.chunkEntries.get(id.toString());
    if (chunkEntries) {
      this.chunkEntries.delete(id.toString());
      return this.ackWithReceipt(AckType.Individual, chunkEntries);
    }
    if (id.batchIndex >= 0 && !this.batches.ack(id)) return;
    return this.ackWithReceipt(AckType.Individual, [id.entry()]);
  }

  /** Acks this message and every earlier one (Exclusive and Failover only). */
  async acknowledgeCumulative(message: Message): Promise<void> {
    this.assertOpen();
    const t = this.opts.subscriptionType;
    if (t === 'Shared' || t === 'KeyShared') {
      throw new PulsarClientError(
        'InvalidConfiguration',
        `cumulative ack is not allowed on a ${t} subscription`,
      );
    }
    const id = message.getMessageId();
    this.unacked.removeUpTo(id);
    for (const [key, entries] of this.chunkEntries) {
      if (entries[entries.length - 1].compare(id) <= 0) this.chunkEntries.delete(key);
    }
    this.batches.ackUpTo(id);
    if (id.batchIndex >= 0 && id.batchIndex < id.batchSize - 1) {
      // Part of a batch: the entry stays unacked; everything before it can go.
      if (id.entryId > 0n) {
        return this.ackWithReceipt(AckType.Cumulative, [
          new MessageId(id.ledgerId, id.entryId - 1n, id.partition),
        ]);
      }
      return;
    }
    return this.ackWithReceipt(AckType.Cumulative, [id.entry()]);
  }

  /**
   * Sends an ACK; with ackReceiptEnabled, resolves only once the broker confirmed it
   * (ACK_RESPONSE), so what follows (stats, a restart) sees the ack. While disconnected the
   * broker cannot see it: such an ack rejects with the retriable NotConnected (as the Java
   * client fails it), and the broker redelivers the message once the consumer is back.
   */
  private async ackWithReceipt(ackType: AckType, ids: MessageId[]): Promise<void> {
    if (!this.opts.ackReceiptEnabled) return this.sendAck(ackType, ids);
    if (this.state !== 'ready' || this.connection.isClosed) {
      throw new PulsarClientError(
        'NotConnected',
        `consumer on ${this.internals.topic} is not connected: the ack did not reach the broker`,
      );
    }
    const requestId = this.connection.newRequestId();
    await this.connection.request(
      {
        type: T.ACK,
        ack: {
          consumerId: this.internals.consumerId,
          ackType,
          messageId: ids.map(toIdData),
          requestId,
        },
      },
      requestId,
    );
  }

  /** Asks for redelivery of this message after nAckRedeliverTimeoutMs. */
  negativeAcknowledge(message: Message): void {
    if (this.state === 'closed') return;
    const id = message.getMessageId();
    this.unacked.remove(id);
    this.nacked.add(id, Date.now() + this.opts.nAckRedeliverTimeoutMs);
  }

  async unsubscribe(): Promise<void> {
    this.assertOpen();
    const requestId = this.connection.newRequestId();
    await this.connection.request(
      { type: T.UNSUBSCRIBE, unsubscribe: { consumerId: this.internals.consumerId, requestId } },
      requestId,
    );
    this.teardown();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.teardown();
    if (wasReady && !this.connection.isClosed) {
      const requestId = this.connection.newRequestId();
      await this.connection
        .request(
          {
            type: T.CLOSE_CONSUMER,
            closeConsumer: { consumerId: this.internals.consumerId, requestId },
          },
          requestId,
        )
        .catch(() => undefined);
    }
  }

  private onMessage(cmd: CommandMessage, section: PayloadSection | undefined): void {
    if (this.state !== 'ready' || !section) return;
    this.permitOut = false;
    try {
      this.receiveEntry(cmd, section);
    } finally {
      // A zero-queue consumer whose entry was dropped, skipped or one chunk of several is
      // still waiting: it needs the next one.
      this.askForOne();
    }
  }

  private receiveEntry(cmd: CommandMessage, section: PayloadSection): void {
    const base = cmd.messageId!;
    const entryId = new MessageId(base.ledgerId, base.entryId, this.internals.partition);
    if (!section.checksumValid)
      return this.discard(entryId, ValidationError.ChecksumMismatch, 'ChecksumMismatch');
    let messages: Message[];
    try {
      messages = this.unpack(cmd, section);
    } catch (err) {
      const decompress = err instanceof CompressionError;
      return this.discard(
        entryId,
        decompress ? ValidationError.DecompressionError : ValidationError.BatchDeSerializeError,
        decompress ? 'DecompressionError' : 'InvalidMessage',
      );
    }
    for (const m of messages) this.enqueue(m);
  }

  /**
   * Collects the chunks of a chunked message; delivers it when the last arrives, with the
   * id of the last chunk (as the Java client does). Chunks that cannot complete are reported
   * and left unacked, so the broker redelivers them.
   */
  private addChunk(chunk: Chunk, redeliveryCount: number): Message[] {
    const r = this.chunks.add(chunk);
    if (r.kind !== 'complete') {
      this.returnPermits(1);
      if (r.kind === 'dropped') {
        for (const id of r.ids) this.emit('discarded', { id, reason: 'IncompleteChunkedMessage' });
      }
      return [];
    }
    const last = r.ids[r.ids.length - 1];
    const message = singleMessage(r.meta, r.payload, last, redeliveryCount, this.internals.topic);
    this.chunkEntries.set(last.toString(), r.ids);
    return [message];
  }

  private unpack(cmd: CommandMessage, section: PayloadSection): Message[] {
    const { topic, partition } = this.internals;
    const { messages, batched, skipped, chunk } = unpackEntry(cmd, section, topic, partition);
    if (chunk) return this.addChunk(chunk, cmd.redeliveryCount);
    this.returnPermits(skipped);
    if (!batched) return messages;
    const entry = new MessageId(cmd.messageId!.ledgerId, cmd.messageId!.entryId, partition);
    if (messages.length > 0) {
      this.batches.track(messages.map((m) => m.getMessageId()));
    } else {
      // Nothing left for the application: the entry is done.
      this.sendAck(AckType.Individual, [entry]);
    }
    return messages;
  }

  private discard(id: MessageId, validationError: ValidationError, reason: string): void {
    this.sendAck(AckType.Individual, [id], validationError);
    this.returnPermits(1);
    this.emit('discarded', { id, reason });
  }

  private enqueue(m: Message): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(this.handOver(m));
      return;
    }
    this.queue.push(m);
    if (this.opts.listener) void this.runListener();
  }

  private async runListener(): Promise<void> {
    if (this.listenerBusy) return;
    this.listenerBusy = true;
    try {
      let m: Message | undefined;
      while (this.state !== 'closed' && (m = this.queue.shift())) {
        try {
          await this.opts.listener!(this.handOver(m), this);
        } catch (err) {
          this.emit('listenerError', err, m);
        }
      }
    } finally {
      this.listenerBusy = false;
    }
    this.askForOne();
  }

  /**
   * The application (or a PartitionedConsumer's merged queue) now holds `m`: account a permit
   * and, unless a PartitionedConsumer starts it itself, the ack timeout.
   */
  private handOver(m: Message): Message {
    if (!this.deferAckTimeout) this.startAckTimeout(m);
    this.returnPermits(1);
    return m;
  }

  /**
   * For PartitionedConsumer: messages received from this consumer go to a merged queue first,
   * so their ack timeout starts only when startAckTimeout() says the application has them.
   */
  deferAckTimeoutToCaller(): void {
    this.deferAckTimeout = true;
  }

  /** Starts the ack timeout of `m`, which the application now holds. */
  startAckTimeout(m: Message): void {
    if (this.opts.ackTimeoutMs > 0 && this.state !== 'closed')
      this.unacked.add(m.getMessageId(), Date.now() + this.opts.ackTimeoutMs);
  }

  private returnPermits(n: number): void {
    // Zero queue: permits are asked for one at a time by askForOne, never returned.
    if (this.opts.receiverQueueSize === 0) return;
    this.permitsToReturn += n;
    if (this.permitsToReturn >= Math.max(1, Math.floor(this.opts.receiverQueueSize / 2))) {
      this.flow(this.permitsToReturn);
      this.permitsToReturn = 0;
    }
  }

  private initialFlow(): void {
    if (this.opts.receiverQueueSize === 0) this.askForOne();
    else this.flow(this.opts.receiverQueueSize);
  }

  /**
   * receiverQueueSize 0, as the Java client's ZeroQueueConsumer: no prefetch, one permit
   * while a receive() (or the idle listener) waits and none is out yet. A receive that timed
   * out leaves its permit out; the message it brings waits in the queue for the next receive.
   * A batch entry brings all its messages on the one permit (the Java client closes the
   * consumer instead); they are handed out from the queue.
   */
  private askForOne(): void {
    if (this.opts.receiverQueueSize !== 0 || this.permitOut || this.queue.length > 0) return;
    const listenerIdle = this.opts.listener !== undefined && !this.listenerBusy;
    if (this.waiters.length === 0 && !listenerIdle) return;
    if (this.state !== 'ready' || this.connection.isClosed) return;
    this.flow(1);
    this.permitOut = true;
  }

  private flow(permits: number): void {
    if (permits <= 0 || this.state !== 'ready' || this.connection.isClosed) return;
    this.connection.send({
      type: T.FLOW,
      flow: { consumerId: this.internals.consumerId, messagePermits: permits },
    });
  }

  private sendAck(ackType: AckType, ids: MessageId[], validationError?: ValidationError): void {
    if (this.state !== 'ready' || this.connection.isClosed) return;
    this.connection.send({
      type: T.ACK,
      ack: {
        consumerId: this.internals.consumerId,
        ackType,
        messageId: ids.map(toIdData),
        validationError,
      },
    });
  }

  /**
   * Asks the broker to send these messages again. Shared and Key_Shared redeliver just
   * them; Exclusive and Failover can only rewind, so everything unacked comes again and the
   * local queue (which would otherwise hold duplicates) is dropped, as Pulsar's clients do;
   * 'rewound' tells a PartitionedConsumer to drop its copies too.
   */
  private redeliver(ids: MessageId[]): void {
    if (ids.length === 0 || this.state !== 'ready' || this.connection.isClosed) return;
    const t = this.opts.subscriptionType;
    const consumerId = this.internals.consumerId;
    if (t === 'Shared' || t === 'KeyShared') {
      const entries = new Map<string, MessageId>();
      for (const id of ids) {
        const chunkEntries = this.chunkEntries.get(id.toString());
        this.chunkEntries.delete(id.toString());
        for (const e of chunkEntries ?? [id]) entries.set(e.entryKey(), e.entry());
      }
      for (const key of entries.keys()) this.batches.forget(key);
      this.connection.send({
        type: T.REDELIVER_UNACKNOWLEDGED_MESSAGES,
        redeliverUnacknowledgedMessages: {
          consumerId,
          messageIds: [...entries.values()].map(toIdData),
        },
      });
      return;
    }
    const dropped = this.queue.splice(0).length;
    this.chunks.clear();
    this.chunkEntries.clear();
    this.unacked.clear();
    this.batches.clear();
    this.connection.send({
      type: T.REDELIVER_UNACKNOWLEDGED_MESSAGES,
      redeliverUnacknowledgedMessages: { consumerId },
    });
    this.returnPermits(dropped);
    this.askForOne();
    // A PartitionedConsumer drops what it already took from this consumer: it comes again.
    this.emit('rewound');
  }

  private startTimers(): void {
    if (this.opts.ackTimeoutMs > 0) {
      const tick = Math.max(50, Math.min(1000, Math.floor(this.opts.ackTimeoutMs / 4)));
      this.ackTimer = setInterval(() => this.redeliver(this.unacked.takeDue(Date.now())), tick);
      this.ackTimer.unref();
    }
    const nackTick = Math.max(20, Math.min(1000, Math.floor(this.opts.nAckRedeliverTimeoutMs / 3)));
    this.nackTimer = setInterval(() => this.redeliver(this.nacked.takeDue(Date.now())), nackTick);
    this.nackTimer.unref();
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new PulsarClientError('AlreadyClosed', 'consumer is closed');
  }

  private teardown(err = new PulsarClientError('AlreadyClosed', 'consumer closed')): void {
    this.state = 'closed';
    this.emit('closed');
    clearInterval(this.ackTimer);
    clearInterval(this.nackTimer);
    this.connection.unregisterConsumer(this.internals.consumerId);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.queue.length = 0;
  }

  private onDisconnected(err: PulsarClientError): void {
    if (this.state !== 'ready') return;
    this.state = 'disconnected';
    this.connection.unregisterConsumer(this.internals.consumerId);
    if (this.listenerCount('disconnected') > 0) {
      this.emit('disconnected', err);
      return;
    }
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

/**
 * receiverQueueSize is a whole number of messages, 0 (no prefetch) or more. Checked here
 * rather than with the other option defaults, so every way of subscribing (plain,
 * partitioned, through the Broker contract) refuses a bad value before subscribing.
 */
function checkReceiverQueueSize(size: number | undefined): void {
  if (size === undefined || (Number.isSafeInteger(size) && size >= 0)) return;
  throw new PulsarClientError(
    'InvalidConfiguration',
    `receiverQueueSize must be a whole number, 0 or more; got ${size}`,
  );
}

function toIdData(id: MessageId) {
  return {
    ledgerId: BigInt.asUintN(64, id.ledgerId),
    entryId: BigInt.asUintN(64, id.entryId),
    partition: id.partition,
  };
}
