import { deflateSync, inflateSync } from 'node:zlib';
import { CompressionError } from './compression-error.js';
import type { CompressionCodec } from './types.js';

/** ZLIB as java.util.zip.Deflater writes it: a zlib stream (2-byte header, adler32 trailer). */
export const zlibCodec: CompressionCodec = {
  type: 'ZLIB',
  canEncode: true,
  encode(payload) {
    return deflateSync(payload);
  },
  decode(payload, uncompressedSize) {
    let out: Buffer;
    try {
      // The bound keeps a corrupt or hostile payload from inflating without limit.
      out = inflateSync(payload, { maxOutputLength: Math.max(uncompressedSize, 1) });
    } catch (cause) {
      throw new CompressionError('CorruptPayload', 'ZLIB payload is corrupt', { cause });
    }
    if (out.length !== uncompressedSize) {
      throw new CompressionError(
        'CorruptPayload',
        `ZLIB payload decoded to ${out.length} bytes, metadata says ${uncompressedSize}`,
      );
    }
    return out;
  },
};
