import { encodeSingleMetadata, toKeyValues } from './batch-payload.js';
import type { MessageId } from './message-id.js';
import type { ProducerMessage } from './options.js';

/** A message waiting in a batch, with the promise callbacks of its `send`. */
export interface BatchedMessage {
  message: ProducerMessage;
  resolve(id: MessageId): void;
  reject(err: Error): void;
}

/** Messages sent as one entry; a key-based batch carries the key of all its messages. */
export interface KeyBatch {
  partitionKey?: string;
  orderingKey?: string;
  items: BatchedMessage[];
  /** Data bytes, counted against batchingMaxBytes as the Java client counts them. */
  bytes: number;
  /** Upper bound of the encoded batch payload (see batchEntryBound). */
  encodedBound?: number;
}

/** Collects messages into the batches a producer sends. */
export interface BatchContainer {
  readonly size: number;
  readonly isEmpty: boolean;
  /**
   * True if `item` (whose encoded size is at most `bound`) cannot join without a batch
   * exceeding batchingMaxBytes or its entry outgrowing `entryLimit` bytes: flush first.
   */
  wouldOverflow(item: BatchedMessage, bound: number, entryLimit: number): boolean;
  /** Adds a message; returns true when the container is full and must be flushed. */
  add(item: BatchedMessage, bound?: number): boolean;
  /** Removes and returns every batch, in the order they must be sent. */
  drain(): KeyBatch[];
}

/**
 * Upper bound of what `message` adds to a batch payload: its size prefix, its
 * SingleMessageMetadata (fields at their widest varints) and its data. Cheap, so a batch can
 * be kept under the broker's message size without encoding anything twice.
 */
export function batchEntryBound(message: ProducerMessage): number {
  let meta = 48; // payload_size, sequence_id, event_time and tags at their widest
  for (const [k, v] of Object.entries(message.properties ?? {})) {
    meta += Buffer.byteLength(k) + Buffer.byteLength(String(v)) + 16;
  }
  if (message.partitionKey !== undefined) meta += Buffer.byteLength(message.partitionKey) + 6;
  if (message.orderingKey !== undefined) meta += Buffer.byteLength(message.orderingKey) + 6;
  return 4 + meta + message.data.length;
}

abstract class Limits {
  protected count = 0;
  protected bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.count;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  protected overflows(dataBytes: number): boolean {
    return this.count > 0 && this.bytes + dataBytes > this.maxBytes;
  }

  protected full(): boolean {
    return this.count >= this.maxMessages || this.bytes >= this.maxBytes;
  }
}

/**
 * The default (the Java client's default batcher): one batch in send order, whatever the
 * keys, so every subscription reads messages in the order they were sent. The batch entry
 * carries no key: a Key_Shared subscription gives the whole batch to one consumer.
 */
export class DefaultBatchContainer extends Limits implements BatchContainer {
  private batch: KeyBatch = { items: [], bytes: 0, encodedBound: 0 };

  wouldOverflow(item: BatchedMessage, bound: number, entryLimit: number): boolean {
    return (
      this.overflows(item.message.data.length) ||
      (this.count > 0 && this.batch.encodedBound! + bound > entryLimit)
    );
  }

  add(item: BatchedMessage, bound = batchEntryBound(item.message)): boolean {
    this.batch.items.push(item);
    this.batch.bytes += item.message.data.length;
    this.batch.encodedBound! += bound;
    this.count++;
    this.bytes += item.message.data.length;
    return this.full();
  }

  drain(): KeyBatch[] {
    const out = this.batch.items.length > 0 ? [this.batch] : [];
    this.batch = { items: [], bytes: 0, encodedBound: 0 };
    this.count = 0;
    this.bytes = 0;
    return out;
  }
}

/**
 * Key-based batching (the Java client's KEY_BASED batcher, opt-in): a batch never mixes
 * keys and carries its key, so a Key_Shared subscription (which dispatches whole entries by
 * the entry's key) keeps per-key order and stickiness. Batches leave in the order of their
 * first message, so order across keys is not kept.
 */
export class KeyBatchContainer extends Limits implements BatchContainer {
  private groups = new Map<string, KeyBatch>();

  private static keyOf(m: ProducerMessage): string {
    return `${m.orderingKey ?? ''}\u0000${m.partitionKey ?? ''}`;
  }

  wouldOverflow(item: BatchedMessage, bound: number, entryLimit: number): boolean {
    const group = this.groups.get(KeyBatchContainer.keyOf(item.message));
    return (
      this.overflows(item.message.data.length) ||
      (group !== undefined && group.encodedBound! + bound > entryLimit)
    );
  }

  add(item: BatchedMessage, bound = batchEntryBound(item.message)): boolean {
    const { partitionKey, orderingKey } = item.message;
    const key = KeyBatchContainer.keyOf(item.message);
    let group = this.groups.get(key);
    if (!group) {
      group = { partitionKey, orderingKey, items: [], bytes: 0, encodedBound: 0 };
      this.groups.set(key, group);
    }
    group.items.push(item);
    group.bytes += item.message.data.length;
    group.encodedBound! += bound;
    this.count++;
    this.bytes += item.message.data.length;
    return this.full();
  }

  drain(): KeyBatch[] {
    const out = [...this.groups.values()];
    this.groups = new Map();
    this.count = 0;
    this.bytes = 0;
    return out;
  }
}

/**
 * The batch payload as parts to be copied once into the frame: for each message
 * [u32 metadataSize][SingleMessageMetadata][data].
 */
export function encodeBatchPayload(batch: KeyBatch, firstSequenceId: bigint): Uint8Array[] {
  const sizes = Buffer.allocUnsafe(4 * batch.items.length);
  const parts: Uint8Array[] = [];
  batch.items.forEach((item, i) => {
    const m = item.message;
    const meta = encodeSingleMetadata({
      payloadSize: m.data.length,
      properties: toKeyValues(m.properties),
      partitionKey: m.partitionKey,
      orderingKey: m.orderingKey !== undefined ? Buffer.from(m.orderingKey) : undefined,
      eventTime: m.eventTimestamp !== undefined ? BigInt(m.eventTimestamp) : undefined,
      sequenceId: firstSequenceId + BigInt(i),
    });
    sizes.writeUInt32BE(meta.length, 4 * i);
    parts.push(sizes.subarray(4 * i, 4 * i + 4), meta, m.data);
  });
  return parts;
}
