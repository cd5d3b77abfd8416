import { CompressionError } from './compression-error.js';
import { lz4Codec } from './lz4-codec.js';
import { snappyCodec } from './snappy-codec.js';
import { COMPRESSION_WIRE, type CompressionCodec, type CompressionType } from './types.js';
import { zlibCodec } from './zlib-codec.js';
import { zstdCodec } from './zstd-codec.js';

export { CompressionError, type CompressionErrorCode } from './compression-error.js';
export { COMPRESSION_WIRE, type CompressionCodec, type CompressionType } from './types.js';

const noneCodec: CompressionCodec = {
  type: 'NONE',
  canEncode: true,
  encode: (payload) => payload,
  decode: (payload) => payload,
};

const CODECS: Readonly<Record<CompressionType, CompressionCodec>> = {
  NONE: noneCodec,
  LZ4: lz4Codec,
  ZLIB: zlibCodec,
  ZSTD: zstdCodec,
  SNAPPY: snappyCodec,
};

export function codecFor(type: CompressionType): CompressionCodec {
  return CODECS[type];
}

/** The codec for MessageMetadata.compression as it arrives on the wire (absent = NONE). */
export function codecForWire(value: number | undefined): CompressionCodec {
  const v = value ?? 0;
  for (const [type, wire] of Object.entries(COMPRESSION_WIRE)) {
    if (wire === v) return CODECS[type as CompressionType];
  }
  throw new CompressionError('UnsupportedCompression', `unknown compression type ${v}`);
}

/** Decompresses an entry payload; a NONE payload is returned as it is. */
export function decompressPayload(
  type: CompressionType,
  payload: Buffer,
  uncompressedSize: number,
): Buffer {
  return type === 'NONE' ? payload : CODECS[type].decode(payload, uncompressedSize);
}
