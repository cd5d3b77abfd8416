import { EventEmitter } from 'node:events';
import { toKeyValues } from './batch-payload.js';
import {
  batchEntryBound,
  DefaultBatchContainer,
  encodeBatchPayload,
  KeyBatchContainer,
  type BatchContainer,
  type BatchedMessage,
  type KeyBatch,
} from './batch-container.js';
import { BaseCommand_Type as T, encodePayloadFrame, type MetadataFields } from './commands.js';
import { codecFor, COMPRESSION_WIRE, type CompressionType } from './compression/index.js';
import type { Connection, ProducerHandler } from './connection.js';
import {
  assertStillOpen,
  isPermanentRefusal,
  isTimeout,
  PulsarClientError,
  serverError,
} from './errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { MessageId } from './message-id.js';
import {
  PRODUCER_DEFAULTS,
  withDefaults,
  type ProducerMessage,
  type ProducerOptions,
} from './options.js';
import {
  ServerError,
  type CommandSendError,
  type CommandSendReceipt,
} from './proto/generated/PulsarApi_pb.js';

/** A frame written to the broker and waiting for its SEND_RECEIPT. */
interface OpSend {
  sequenceId: bigint;
  highestSequenceId: bigint;
  /** One per message; batch index i gets callbacks[i]. */
  callbacks: BatchedMessage[];
  batched: boolean;
  deadline: number;
  /** The encoded SEND frame, kept to resend it unchanged after a reconnection. */
  frame?: Buffer;
}

export interface ProducerInternals {
  connection: Connection;
  producerId: bigint;
  topic: string;
  /** Partition index this producer writes to, -1 for a non-partitioned topic. */
  partition: number;
}

type State = 'ready' | 'closing' | 'closed' | 'disconnected';

/**
 * Publishes to one (non-partitioned topic or one partition of a) topic over one connection.
 *
 * Events: 'disconnected' (PulsarClientError) when the broker closes the producer or the
 * connection drops. With no 'disconnected' listener the pending sends fail with that
 * error; a listener (the reconnection hook) keeps them pending. 'closed' once closed: with
 * no argument after close(), with the broker's refusal (also `failure`) when the broker
 * refused this producer for good (see giveUp).
 */
export class Producer extends EventEmitter {
  private readonly opts: Required<
    Omit<ProducerOptions, 'producerName' | 'properties' | 'compressionType'>
  > & { compressionType: CompressionType };
  private readonly batch: BatchContainer;
  private readonly inFlight: OpSend[] = [];
  private state: State = 'ready';
  private pendingMessages = 0;
  private nextSequenceId: bigint;
  private batchTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private drainWaiters: Array<{ upTo: bigint; resolve(): void }> = [];
  private connection: Connection;
  private readonly handler: ProducerHandler;
  /** Disconnected, and a reconnection hook will resume: sends queue up meanwhile. */
  private reconnecting = false;
  private readonly options: ProducerOptions;
  /** Highest sequence id the broker acknowledged (see getLastSequenceId). */
  private lastSequenceIdPublished: bigint;
  /** Why the broker refused this producer for good (a terminated or deleted topic). */
  private refusal: PulsarClientError | undefined;

  constructor(
    private readonly internals: ProducerInternals,
    options: ProducerOptions,
    private producerName: string,
    lastSequenceId: bigint,
  ) {
    super();
    this.options = options;
    try {
      this.opts = withDefaults(PRODUCER_DEFAULTS, options) as typeof this.opts;
    } catch (err) {
      // A bad option: the broker already has this producer, take it back.
      internals.connection.release('producer', internals.producerId);
      throw err;
    }
    this.batch =
      this.opts.batchingType === 'KeyBasedBatching'
        ? new KeyBatchContainer(this.opts.batchingMaxMessages, this.opts.batchingMaxBytes)
        : new DefaultBatchContainer(this.opts.batchingMaxMessages, this.opts.batchingMaxBytes);
    this.nextSequenceId = lastSequenceId + 1n;
    this.lastSequenceIdPublished = lastSequenceId;
    this.connection = internals.connection;
    this.handler = {
      onSendReceipt: (r) => this.onReceipt(r),
      onSendError: (e) => this.onSendError(e),
      onClosedByBroker: () =>
        this.onDisconnected(
          new PulsarClientError(
            'BrokerClosed',
            `broker closed producer on ${this.internals.topic}`,
          ),
        ),
      onConnectionClosed: (err) => this.onDisconnected(err),
    };
    this.connection.registerProducer(internals.producerId, this.handler);
    if (this.opts.sendTimeoutMs > 0) {
      const every = Math.max(10, Math.min(1000, Math.floor(this.opts.sendTimeoutMs / 4)));
      this.timeoutTimer = setInterval(() => this.expireSends(), every);
      this.timeoutTimer.unref();
    }
  }

  getProducerName(): string {
    return this.producerName;
  }

  getTopic(): string {
    return this.internals.topic;
  }

  /** Registered on an open connection whose broker answers (see Connection.suspect). */
  isConnected(): boolean {
    return this.state === 'ready' && this.connection.unansweredSince === undefined;
  }

  /**
   * The last sequence id published and acknowledged by the broker (Pulsar's
   * getLastSequenceId): at creation, what the broker knows of this producer name (-1 for a
   * new one); then the highest sequence id with a receipt. Sends still waiting for their
   * receipt do not count.
   */
  getLastSequenceId(): bigint {
    return this.lastSequenceIdPublished;
  }

  /** Resolves with the message id once the broker has stored the message. */
  send(message: ProducerMessage): Promise<MessageId> {
    if (this.refusal) return Promise.reject(this.refusal);
    if (this.state === 'closed' || this.state === 'closing') {
      return Promise.reject(new PulsarClientError('AlreadyClosed', 'producer is closed'));
    }
    if (this.state === 'disconnected' && !this.reconnecting) {
      return Promise.reject(new PulsarClientError('NotConnected', 'producer is not connected'));
    }
    if (!Buffer.isBuffer(message?.data)) {
      return Promise.reject(
        new PulsarClientError('InvalidMessage', 'message data must be a Buffer'),
      );
    }
    if (this.opts.compressionType === 'NONE' && message.data.length > this.maxMessageSize) {
      return Promise.reject(tooBig(message.data.length, this.maxMessageSize));
    }
    if (this.pendingMessages >= this.opts.maxPendingMessages) {
      return Promise.reject(
        new PulsarClientError('ProducerQueueIsFull', `${this.pendingMessages} messages pending`),
      );
    }
    this.pendingMessages++;
    return new Promise<MessageId>((resolve, reject) => {
      const item: BatchedMessage = {
        message,
        resolve: (id) => {
          this.pendingMessages--;
          resolve(id);
        },
        reject: (err) => {
          this.pendingMessages--;
          reject(err);
        },
      };
      const unbatched =
        !this.opts.batchingEnabled ||
        message.deliverAt !== undefined ||
        message.deliverAfter !== undefined ||
        message.sequenceId !== undefined;
      const bound = unbatched ? 0 : batchEntryBound(message);
      const entryLimit = unbatched ? 0 : this.maxMessageSize - this.batchMetadataBound(message);
      if (unbatched || bound > entryLimit) {
        // Too big for a batch: sent alone, as the Java client sends a batch of one, and
        // checked there against the broker's limit. Pending batches leave first, in order.
        this.flushBatch();
        this.sendSingle(item);
        return;
      }
      if (this.batch.wouldOverflow(item, bound, entryLimit)) this.flushBatch();
      if (this.batch.add(item, bound)) this.flushBatch();
      else if (!this.batchTimer) {
        this.batchTimer = setTimeout(() => this.flushBatch(), this.opts.batchingMaxPublishDelayMs);
      }
    });
  }

  /** Sends what is batched now and waits for the receipts of every message sent so far. */
  async flush(): Promise<void> {
    this.flushBatch();
    const last = this.inFlight.at(-1);
    if (!last) return;
    await new Promise<void>((resolve) =>
      this.drainWaiters.push({ upTo: last.sequenceId, resolve }),
    );
  }

  /**
   * Sends what is batched, waits for the receipts of every pending send (each bounded by the
   * send timeout), then closes the producer on the broker. Further sends reject with
   * AlreadyClosed. A producer that is disconnected fails its pending sends with AlreadyClosed.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const wasReady = this.state === 'ready';
    // Batched messages are written while still 'ready': write() holds frames back otherwise.
    if (wasReady) this.flushBatch();
    this.state = 'closing';
    if (wasReady) {
      const last = this.inFlight.at(-1);
      if (last)
        await new Promise<void>((resolve) =>
          this.drainWaiters.push({ upTo: last.sequenceId, resolve }),
        );
    }
    this.state = 'closed';
    this.emit('closed');
    clearInterval(this.timeoutTimer);
    clearTimeout(this.batchTimer);
    this.connection.unregisterProducer(this.internals.producerId);
    this.failAll(new PulsarClientError('AlreadyClosed', 'producer closed'));
    if (wasReady && !this.connection.isClosed) {
      const requestId = this.connection.newRequestId();
      await this.connection
        .request(
          {
            type: T.CLOSE_PRODUCER,
            closeProducer: { producerId: this.internals.producerId, requestId },
          },
          requestId,
        )
        .catch(() => undefined);
    }
  }

  private sendSingle(item: BatchedMessage): void {
    const m = item.message;
    const sequenceId = m.sequenceId !== undefined ? BigInt(m.sequenceId) : this.nextSequenceId;
    if (sequenceId >= this.nextSequenceId) this.nextSequenceId = sequenceId + 1n;
    const deliverAt =
      m.deliverAt ?? (m.deliverAfter !== undefined ? Date.now() + m.deliverAfter : undefined);
    const metadata: MetadataFields = {
      ...this.baseMetadata(sequenceId, m.partitionKey, m.orderingKey),
      properties: toKeyValues(m.properties),
      eventTime: m.eventTimestamp !== undefined ? BigInt(m.eventTimestamp) : undefined,
      deliverAtTime: deliverAt !== undefined ? BigInt(deliverAt) : undefined,
    };
    this.write(
      { sequenceId, highestSequenceId: sequenceId, callbacks: [item], batched: false },
      metadata,
      m.data,
      1,
    );
  }

  private flushBatch(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.isEmpty) return;
    for (const group of this.batch.drain()) this.sendBatch(group);
  }

  private sendBatch(group: KeyBatch): void {
    const n = group.items.length;
    const first = this.nextSequenceId;
    const highest = first + BigInt(n - 1);
    this.nextSequenceId = highest + 1n;
    const payload = encodeBatchPayload(group, first);
    const metadata: MetadataFields = {
      ...this.baseMetadata(first, group.partitionKey, group.orderingKey),
      numMessagesInBatch: n,
      highestSequenceId: highest,
    };
    this.write(
      { sequenceId: first, highestSequenceId: highest, callbacks: group.items, batched: true },
      metadata,
      payload,
      n,
    );
  }

  /** The broker's limit on metadata + payload of one message, from CONNECTED. */
  private get maxMessageSize(): number {
    return this.connection.maxMessageSize;
  }

  /** Upper bound of a batch entry's MessageMetadata, whose key is `m`'s for key batches. */
  private batchMetadataBound(m: ProducerMessage): number {
    let bound = 96 + Buffer.byteLength(this.producerName);
    if (this.opts.batchingType === 'KeyBasedBatching') {
      if (m.partitionKey !== undefined) bound += Buffer.byteLength(m.partitionKey) + 6;
      if (m.orderingKey !== undefined) bound += Buffer.byteLength(m.orderingKey) + 6;
    }
    return bound;
  }

  private baseMetadata(
    sequenceId: bigint,
    partitionKey?: string,
    orderingKey?: string,
  ): MetadataFields {
    return {
      producerName: this.producerName,
      sequenceId,
      publishTime: BigInt(Date.now()),
      partitionKey,
      orderingKey: orderingKey !== undefined ? Buffer.from(orderingKey) : undefined,
    };
  }

  private write(
    op: Omit<OpSend, 'deadline'>,
    metadata: MetadataFields,
    payload: Uint8Array | Uint8Array[],
    numMessages: number,
  ): void {
    const full: OpSend = { ...op, deadline: Date.now() + this.opts.sendTimeoutMs };
    let frame: Buffer;
    try {
      const compression = this.opts.compressionType;
      if (compression !== 'NONE') {
        // The whole entry (one message or a whole batch) is compressed; consumers need
        // the size before compression to decode it.
        const raw = Array.isArray(payload)
          ? Buffer.concat(payload)
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        metadata = {
          ...metadata,
          compression: COMPRESSION_WIRE[compression],
          uncompressedSize: raw.length,
        };
        payload = codecFor(compression).encode(raw);
      }
      frame = encodePayloadFrame(
        {
          type: T.SEND,
          send: {
            producerId: this.internals.producerId,
            sequenceId: op.sequenceId,
            numMessages,
            highestSequenceId: op.highestSequenceId,
          },
        },
        metadata,
        payload,
      );
      // As the Java client (ProducerImpl.isMessageSizeExceeded): metadata + payload must fit
      // the broker's limit, or the broker drops the whole connection on reading the frame.
      const size = frame.length - 18 - frame.readUInt32BE(4);
      if (size > this.maxMessageSize) throw tooBig(size, this.maxMessageSize);
      full.frame = frame;
      this.inFlight.push(full);
      // While reconnecting the frame waits in inFlight; resume() writes it.
      if (this.state === 'ready') this.connection.write(frame);
    } catch (err) {
      this.inFlight.splice(this.inFlight.indexOf(full) >>> 0, 1);
      const e =
        err instanceof PulsarClientError
          ? err
          : new PulsarClientError('InvalidMessage', 'could not send', { cause: err });
      for (const cb of op.callbacks) cb.reject(e);
    }
  }

  private onReceipt(r: CommandSendReceipt): void {
    const idx = this.inFlight.findIndex((op) => op.sequenceId === r.sequenceId);
    if (idx < 0) return; // already timed out, or a duplicate receipt
    const [op] = this.inFlight.splice(idx, 1);
    if (op.highestSequenceId > this.lastSequenceIdPublished) {
      this.lastSequenceIdPublished = op.highestSequenceId;
    }
    const mid = r.messageId;
    // Read as signed, like the Java client: a receipt for a message the broker dropped as a
    // duplicate carries -1:-1 (all ones on the uint64 wire).
    const ledger = BigInt.asIntN(64, mid?.ledgerId ?? -1n);
    const entry = BigInt.asIntN(64, mid?.entryId ?? -1n);
    const partition = this.internals.partition;
    const n = op.callbacks.length;
    op.callbacks.forEach((cb, i) =>
      cb.resolve(
        op.batched
          ? new MessageId(ledger, entry, partition, i, n)
          : new MessageId(ledger, entry, partition),
      ),
    );
    this.wakeDrainWaiters();
  }

  /**
   * As Pulsar's Java client (ClientCnx.handleSendError): a terminated topic or a refused
   * message (NotAllowedError: too big for the topic's policy, say) fails that send; a checksum
   * error resends, unless our own copy of the frame is corrupt, which fails it; any other
   * SEND_ERROR (a topic fenced while its broker unloads or restarts it, a storage hiccup) is
   * transient, so this producer alone reconnects and resends every pending message with its
   * sequence id (broker dedup drops what was stored). The connection stays up: other
   * producers and consumers share it. The send timeout still bounds the wait.
   *
   * While close() waits for receipts ('closing') the same holds, except that a transient
   * error ends this producer's connection for good (onDisconnected): no reconnection will
   * resend, so the pending sends fail with AlreadyClosed and close() goes on.
   */
  private onSendError(e: CommandSendError): void {
    const idx = this.inFlight.findIndex((op) => op.sequenceId === e.sequenceId);
    if (idx < 0 || (this.state !== 'ready' && this.state !== 'closing')) return;
    const err = serverError(e.error, e.message);
    if (e.error === ServerError.TopicTerminatedError || e.error === ServerError.NotAllowedError) {
      this.failOp(idx, err);
      return;
    }
    if (e.error === ServerError.ChecksumError) {
      if (!frameIntact(this.inFlight[idx].frame)) {
        this.failOp(
          idx,
          new PulsarClientError('ChecksumMismatch', `message corrupted in memory: ${err.message}`),
        );
      }
      for (const op of this.inFlight) if (op.frame) this.connection.write(op.frame);
      return;
    }
    this.onDisconnected(
      new PulsarClientError(
        'ConnectionClosed',
        `send error on ${this.internals.topic}, reconnecting: ${err.result}: ${err.message}`,
      ),
    );
  }

  private failOp(idx: number, err: PulsarClientError): void {
    const [op] = this.inFlight.splice(idx, 1);
    for (const cb of op.callbacks) cb.reject(err);
    this.wakeDrainWaiters();
  }

  private expireSends(): void {
    const now = Date.now();
    let expired = false;
    while (this.inFlight.length > 0 && this.inFlight[0].deadline <= now) {
      const op = this.inFlight.shift()!;
      const err = new PulsarClientError(
        'Timeout',
        `no receipt within ${this.opts.sendTimeoutMs} ms`,
      );
      for (const cb of op.callbacks) cb.reject(err);
      expired = true;
    }
    if (!expired) return;
    // No receipt in time: find out at once whether the broker still answers at all.
    if (this.state === 'ready') this.connection.suspect();
    this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    const oldest = this.inFlight[0]?.sequenceId;
    this.drainWaiters = this.drainWaiters.filter((w) => {
      if (oldest === undefined || oldest > w.upTo) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  private failAll(err: PulsarClientError): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    for (const group of this.batch.drain()) for (const item of group.items) item.reject(err);
    for (const op of this.inFlight.splice(0)) for (const cb of op.callbacks) cb.reject(err);
    this.wakeDrainWaiters();
  }

  private onDisconnected(err: PulsarClientError): void {
    if (this.state === 'closing') {
      // close() waits for the receipts of what was sent: none will come now, and no
      // reconnection will resend it, so the sends fail and close() goes on.
      this.connection.unregisterProducer(this.internals.producerId);
      this.failAll(
        new PulsarClientError(
          'AlreadyClosed',
          `producer closed before the broker confirmed: ${err.message}`,
          {
            cause: err,
          },
        ),
      );
      return;
    }
    if (this.state !== 'ready') return;
    this.state = 'disconnected';
    this.connection.unregisterProducer(this.internals.producerId);
    // A 'disconnected' listener (the reconnection hook) takes over the pending sends.
    this.reconnecting = this.listenerCount('disconnected') > 0;
    if (this.reconnecting) this.emit('disconnected', err);
    else this.failAll(err);
  }

  /**
   * Why the broker refused this producer for good (TopicNotFound, TopicTerminatedError,
   * ProducerFenced): set once it closed itself for that reason; undefined otherwise.
   */
  get failure(): PulsarClientError | undefined {
    return this.refusal;
  }

  /** True once close() was called: a reconnection hook stops trying. */
  get isClosed(): boolean {
    return this.state === 'closed' || this.state === 'closing';
  }

  /**
   * Called by the reconnection loop with a failed attempt. A refusal no retry cures (the
   * topic was terminated or deleted, or this producer fenced) closes the producer: every
   * pending send fails with that error, as do later sends, and no more attempts are made, as
   * the Java client's producer goes to Terminated. Returns true then.
   */
  giveUp(err: unknown): boolean {
    if (this.state !== 'disconnected' || !isPermanentRefusal(err, 'producer')) return false;
    const failure = err as PulsarClientError;
    this.refusal = failure;
    this.state = 'closed';
    this.reconnecting = false;
    clearInterval(this.timeoutTimer);
    this.failAll(failure);
    this.emit('closed', failure);
    return true;
  }

  /**
   * Registers this producer again on `connection` (same producer id and name, so broker
   * deduplication recognises it) and resends every message still waiting for a receipt
   * with its original sequence id, in order; the broker drops those it already stored.
   */
  async resume(connection: Connection): Promise<void> {
    if (this.state !== 'disconnected') return;
    const requestId = connection.newRequestId();
    connection.registerProducer(this.internals.producerId, this.handler);
    try {
      await connection.request(
        {
          type: T.PRODUCER,
          producer: {
            topic: this.internals.topic,
            producerId: this.internals.producerId,
            requestId,
            producerName: this.producerName,
            userProvidedProducerName: this.options.producerName !== undefined,
            metadata: toKeyValues(this.options.properties),
          },
        },
        requestId,
      );
      // The connection can drop between PRODUCER_SUCCESS and this line (a later frame of the
      // same read): resuming on it would leave the producer "ready" on a dead connection.
      assertStillOpen(connection, this.internals.topic);
    } catch (err) {
      connection.unregisterProducer(this.internals.producerId);
      if (isTimeout(err)) connection.release('producer', this.internals.producerId);
      throw err;
    }
    if (this.state !== 'disconnected') {
      // Closed while registering again: the broker has the producer now, take it back.
      connection.unregisterProducer(this.internals.producerId);
      connection.release('producer', this.internals.producerId);
      return;
    }
    this.connection = connection;
    this.internals.connection = connection;
    this.state = 'ready';
    this.reconnecting = false;
    for (const op of this.inFlight) if (op.frame) connection.write(op.frame);
    this.emit('reconnected');
  }
}

function tooBig(size: number, max: number): PulsarClientError {
  return new PulsarClientError(
    'MessageTooBig',
    `message of ${size} bytes (metadata and payload) exceeds the broker's limit of ${max} bytes`,
  );
}

/** True when `frame` still matches the checksum it was sent with. */
function frameIntact(frame: Buffer | undefined): boolean {
  if (!frame) return false;
  try {
    return new FrameDecoder(frame.length)
      .push(frame)
      .every((f) => f.payload?.checksumValid !== false);
  } catch {
    return false;
  }
}
