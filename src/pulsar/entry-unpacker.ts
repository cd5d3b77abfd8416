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
} from './proto/generated/PulsarApi_pb.js';

export interface UnpackedEntry {
  /** Messages for the application, in entry order. */
  messages: Message[];
  /** True when the entry was a batch (messages carry batch indexes). */
  batched: boolean;
  /** Batch messages not delivered (compacted out, or already acked per the broker's ack_set). */
  skipped: number;
}

/**
 * Turns one MESSAGE (command + verified payload section) into application messages:
 * decompresses, and splits a batch into its messages. Throws CompressionError or
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
  const payload = codecForWire(meta.compression).decode(section.payload, meta.uncompressedSize);
  const common = {
    topic,
    publishTimestamp: Number(meta.publishTime),
    redeliveryCount: cmd.redeliveryCount,
    producerName: meta.producerName,
  };
  if (!isFieldSet(meta, MessageMetadataSchema.field.numMessagesInBatch)) {
    const message = new Message({
      ...common,
      data: payload,
      id: new MessageId(base.ledgerId, base.entryId, partition),
      properties: fromKeyValues(meta.properties),
      partitionKey: meta.partitionKey || undefined,
      orderingKey: keyText(meta.orderingKey),
      eventTimestamp: Number(meta.eventTime),
      sequenceId: meta.sequenceId,
    });
    return { messages: [message], batched: false, skipped: 0 };
  }
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

function keyText(bytes: Uint8Array): string | undefined {
  return bytes.length ? Buffer.from(bytes).toString() : undefined;
}

/** ack_set bit i set means message i is still unacked; an empty set means all are. */
function bitSet(ackSet: readonly bigint[], i: number): boolean {
  if (ackSet.length === 0) return true;
  const word = ackSet[i >> 6];
  return word !== undefined && ((word >> BigInt(i & 63)) & 1n) === 1n;
}
