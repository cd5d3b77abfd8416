import { encodeSingleMetadata, toKeyValues } from './batch-payload.js';
import type { MessageId } from './message-id.js';
import type { ProducerMessage } from './options.js';

/** A message waiting in a batch, with the promise callbacks of its `send`. */
export interface BatchedMessage {
  message: ProducerMessage;
  resolve(id: MessageId): void;
  reject(err: Error): void;
}

/** Messages of one key, sent as one entry. */
export interface KeyBatch {
  partitionKey?: string;
  orderingKey?: string;
  items: BatchedMessage[];
  bytes: number;
}

/**
 * Collects messages into batches by key: a batch never mixes keys, so a Key_Shared
 * subscription (which dispatches whole entries by the entry's key) keeps per-key order and
 * stickiness. Batches leave in the order of their first message.
 */
export class KeyBatchContainer {
  private groups = new Map<string, KeyBatch>();
  private count = 0;
  private bytes = 0;

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

  /** True if adding `bytes` more would overflow the byte limit of a non-empty container. */
  wouldOverflow(bytes: number): boolean {
    return this.count > 0 && this.bytes + bytes > this.maxBytes;
  }

  /** Adds a message; returns true when the container is full and must be flushed. */
  add(item: BatchedMessage): boolean {
    const { partitionKey, orderingKey } = item.message;
    const key = `${orderingKey ?? ''}\u0000${partitionKey ?? ''}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { partitionKey, orderingKey, items: [], bytes: 0 };
      this.groups.set(key, group);
    }
    group.items.push(item);
    group.bytes += item.message.data.length;
    this.count++;
    this.bytes += item.message.data.length;
    return this.count >= this.maxMessages || this.bytes >= this.maxBytes;
  }

  /** Removes and returns every batch, in the order of their first message. */
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
