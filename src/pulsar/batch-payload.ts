import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { PulsarClientError } from './errors.js';
import {
  SingleMessageMetadataSchema,
  type KeyValue,
  type SingleMessageMetadata,
} from './proto/generated/PulsarApi_pb.js';

/**
 * A batch is one entry whose payload is N messages back to back, each
 *   [u32 metadataSize][SingleMessageMetadata][payload_size bytes of data]
 * under one MessageMetadata with num_messages_in_batch = N.
 */

export type SingleMetadataInit = MessageInitShape<typeof SingleMessageMetadataSchema>;

export function encodeSingleMetadata(meta: SingleMetadataInit): Uint8Array {
  return toBinary(SingleMessageMetadataSchema, create(SingleMessageMetadataSchema, meta));
}

export function encodeSingleMessage(meta: SingleMetadataInit, data: Uint8Array): Buffer {
  const metaBytes = encodeSingleMetadata(meta);
  const out = Buffer.allocUnsafe(4 + metaBytes.length + data.length);
  out.writeUInt32BE(metaBytes.length, 0);
  out.set(metaBytes, 4);
  out.set(data, 4 + metaBytes.length);
  return out;
}

export interface SingleMessage {
  meta: SingleMessageMetadata;
  data: Buffer;
}

/** Splits a batch payload into its `count` messages; throws InvalidMessage when malformed. */
export function decodeBatch(payload: Buffer, count: number): SingleMessage[] {
  const out: SingleMessage[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 4 > payload.length) throw batchError(i);
    const metaSize = payload.readUInt32BE(off);
    off += 4;
    if (off + metaSize > payload.length) throw batchError(i);
    const meta = fromBinary(SingleMessageMetadataSchema, payload.subarray(off, off + metaSize));
    off += metaSize;
    if (off + meta.payloadSize > payload.length) throw batchError(i);
    out.push({ meta, data: payload.subarray(off, off + meta.payloadSize) });
    off += meta.payloadSize;
  }
  return out;
}

function batchError(index: number): PulsarClientError {
  return new PulsarClientError('InvalidMessage', `batch truncated at message ${index}`);
}

export function toKeyValues(
  props: Record<string, string> | undefined,
): { key: string; value: string }[] {
  if (!props) return [];
  return Object.entries(props).map(([key, value]) => ({ key, value: String(value) }));
}

export function fromKeyValues(kvs: readonly KeyValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of kvs) out[kv.key] = kv.value;
  return out;
}
