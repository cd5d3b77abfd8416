import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { crc32cOf } from './checksum.js';
import { MAGIC_CRC32C } from './frame-decoder.js';
import {
  BaseCommandSchema,
  BaseCommand_Type,
  MessageMetadataSchema,
  type BaseCommand,
  type MessageMetadata,
} from './proto/generated/PulsarApi_pb.js';

export type BaseCommandInit = MessageInitShape<typeof BaseCommandSchema>;
export type MessageMetadataInit = MessageInitShape<typeof MessageMetadataSchema>;
/** MessageMetadata as a plain object of optional fields (spreadable). */
export type MetadataFields = Exclude<MessageMetadataInit, MessageMetadata>;

/** Builds a BaseCommand from its type and the one sub-command field set. */
export function command(init: BaseCommandInit): BaseCommand {
  return create(BaseCommandSchema, init);
}

export function decodeCommand(bytes: Uint8Array): BaseCommand {
  return fromBinary(BaseCommandSchema, bytes);
}

export function decodeMetadata(bytes: Uint8Array): MessageMetadata {
  return fromBinary(MessageMetadataSchema, bytes);
}

/** [totalSize][commandSize][command]. */
export function encodeSimpleFrame(cmd: BaseCommand | BaseCommandInit): Buffer {
  const body = toBinary(BaseCommandSchema, asCommand(cmd));
  const out = Buffer.allocUnsafe(8 + body.length);
  out.writeUInt32BE(4 + body.length, 0);
  out.writeUInt32BE(body.length, 4);
  out.set(body, 8);
  return out;
}

/**
 * [totalSize][commandSize][command][0x0e01][crc32c][metadataSize][metadata][payload],
 * the checksum covering metadataSize through the end of the payload.
 */
export function encodePayloadFrame(
  cmd: BaseCommand | BaseCommandInit,
  metadata: MessageMetadata | MessageMetadataInit,
  payload: Uint8Array | readonly Uint8Array[],
): Buffer {
  const cmdBytes = toBinary(BaseCommandSchema, asCommand(cmd));
  const metaBytes = toBinary(MessageMetadataSchema, asMetadata(metadata));
  // A batch arrives as its parts and is copied once, straight into the frame.
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  let payloadSize = 0;
  for (const p of parts) payloadSize += p.length;
  const total = 4 + cmdBytes.length + 2 + 4 + 4 + metaBytes.length + payloadSize;
  const out = Buffer.allocUnsafe(4 + total);
  let off = 0;
  off = out.writeUInt32BE(total, off);
  off = out.writeUInt32BE(cmdBytes.length, off);
  out.set(cmdBytes, off);
  off += cmdBytes.length;
  off = out.writeUInt16BE(MAGIC_CRC32C, off);
  const checksumAt = off;
  off += 4;
  const checkedFrom = off;
  off = out.writeUInt32BE(metaBytes.length, off);
  out.set(metaBytes, off);
  off += metaBytes.length;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  out.writeUInt32BE(crc32cOf([out.subarray(checkedFrom)]), checksumAt);
  return out;
}

function asCommand(cmd: BaseCommand | BaseCommandInit): BaseCommand {
  return '$typeName' in cmd && cmd.$typeName ? (cmd as BaseCommand) : command(cmd);
}

function asMetadata(m: MessageMetadata | MessageMetadataInit): MessageMetadata {
  return '$typeName' in m && m.$typeName
    ? (m as MessageMetadata)
    : create(MessageMetadataSchema, m);
}

export function commandName(type: BaseCommand_Type): string {
  return BaseCommand_Type[type] ?? `UNKNOWN(${type})`;
}

export { BaseCommand_Type };
