import { isFieldSet } from '@bufbuild/protobuf';
import { decodeBatch, fromKeyValues } from './batch-payload.js';
import { decodeMetadata } from './commands.js';
import { codecForWire } from './compression/index.js';
import type { PayloadSection } from './frame-decoder.js';
import { Message } from './message.js';
import { MessageId } from './message-id.js';
import {
  MessageMetadataSchema,
  SingleMessageMetadataSchema,
  type CommandMessage,
  type MessageMetadata,
} from './proto/generated/PulsarApi_pb.js';
import type { Chunk } from './chunk-assembler.js';

export interface UnpackedEntry {
  /** Messages for the application, in entry order. */
  messages: Message[];
  /** True when the entry was a batch (messages carry batch indexes). */
  batched: boolean;
  /** Batch messages not delivered (compacted out, or already acked per the broker's ack_set). */
  skipped: number;
  /** Set when the entry is one chunk of a larger message: `messages` is empty then. */
  chunk?: Chunk;
}

/**
 * Turns one MESSAGE (command + verified payload section) into application messages:
 * decompresses, and splits a batch into its messages. A chunk is handed back as it is. Throws CompressionError or
 * PulsarClientError InvalidMessage for an entry that cannot be read.
 */
export function unpackEntry(
  cmd: CommandMessage,
  section: PayloadSection,
  topic: string,
  partition: number,
): UnpackedEntry {
  const base = cmd.messageId!;
  const meta = decodeMetadata(section.metadata);
  const id = new MessageId(base.ledgerId, base.entryId, partition);
  if (meta.numChunksFromMsg > 1) {
    const chunk = { meta, id, payload: section.payload };
    return { messages: [], batched: false, skipped: 0, chunk };
  }
  if (!isFieldSet(meta, MessageMetadataSchema.field.numMessagesInBatch)) {
    const message = singleMessage(meta, section.payload, id, cmd.redeliveryCount, topic);
    return { messages: [message], batched: false, skipped: 0 };
  }
  const payload = codecForWire(meta.compression).decode(section.payload, meta.uncompressedSize);
  const common = {
    topic,
    publishTimestamp: Number(meta.publishTime),
    redeliveryCount: cmd.redeliveryCount,
    producerName: meta.producerName,
  };
  const n = meta.numMessagesInBatch;
  const singles = decodeBatch(payload, n);
  const messages: Message[] = [];
  singles.forEach((s, i) => {
    if (s.meta.compactedOut || !bitSet(cmd.ackSet, i)) return;
    messages.push(
      new Message({
        ...common,
        data: s.data,
        id: new MessageId(base.ledgerId, base.entryId, partition, i, n),
        properties: fromKeyValues(s.meta.properties),
        partitionKey: s.meta.partitionKey || undefined,
        orderingKey: keyText(s.meta.orderingKey),
        eventTimestamp: Number(s.meta.eventTime),
        sequenceId: isFieldSet(s.meta, SingleMessageMetadataSchema.field.sequenceId)
          ? s.meta.sequenceId
          : meta.sequenceId + BigInt(i),
      }),
    );
  });
  return { messages, batched: true, skipped: n - messages.length };
}

/** A message that is a whole entry (or a reassembled chunked message). */
export function singleMessage(
  meta: MessageMetadata,
  payload: Buffer,
  id: MessageId,
  redeliveryCount: number,
  topic: string,
): Message {
  return new Message({
    topic,
    publishTimestamp: Number(meta.publishTime),
    redeliveryCount,
    producerName: meta.producerName,
    data: codecForWire(meta.compression).decode(payload, meta.uncompressedSize),
    id,
    properties: fromKeyValues(meta.properties),
    partitionKey: meta.partitionKey || undefined,
    orderingKey: keyText(meta.orderingKey),
    eventTimestamp: Number(meta.eventTime),
    sequenceId: meta.sequenceId,
  });
}

function keyText(bytes: Uint8Array): string | undefined {
  return bytes.length ? Buffer.from(bytes).toString() : undefined;
}

/** ack_set bit i set means message i is still unacked; an empty set means all are. */
function bitSet(ackSet: readonly bigint[], i: number): boolean {
  if (ackSet.length === 0) return true;
  const word = ackSet[i >> 6];
  return word !== undefined && ((word >> BigInt(i & 63)) & 1n) === 1n;
}
