import snappy from 'snappyjs';
import { CompressionError } from './compression-error.js';
import type { CompressionCodec } from './types.js';

/** SNAPPY as the Java client writes it: the raw Snappy block format (no framing). */
export const snappyCodec: CompressionCodec = {
  type: 'SNAPPY',
  canEncode: true,
  encode(payload) {
    return Buffer.from(snappy.compress(payload));
  },
  decode(payload, uncompressedSize) {
    let out: Buffer;
    try {
      out = Buffer.from(snappy.uncompress(payload, uncompressedSize));
    } catch (cause) {
      throw new CompressionError('CorruptPayload', 'SNAPPY payload is corrupt', { cause });
    }
    if (out.length !== uncompressedSize) {
      throw new CompressionError(
        'CorruptPayload',
        `SNAPPY payload decoded to ${out.length} bytes, metadata says ${uncompressedSize}`,
      );
    }
    return out;
  },
};
