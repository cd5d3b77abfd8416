import { constants, deflateSync, inflateSync } from 'node:zlib';
import { CompressionError } from './compression-error.js';
import type { CompressionCodec } from './types.js';

/**
 * ZLIB as the Java client writes it: java.util.zip.Deflater flushed with SYNC_FLUSH, so the
 * zlib stream has its header but no final block and no adler32 trailer. Decoding therefore
 * accepts a stream that ends at a sync point; what we write is a complete stream, which
 * Java's Inflater reads as well.
 */
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
      out = inflateSync(payload, {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(uncompressedSize, 1),
      });
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
