import { decompress } from 'fzstd';
import { CompressionError } from './compression-error.js';
import type { CompressionCodec } from './types.js';

/**
 * ZSTD as zstd-jni writes it: standard Zstandard frames. Decode only: no maintained pure-JS
 * Zstandard encoder exists, and this client never produces ZSTD.
 */
export const zstdCodec: CompressionCodec = {
  type: 'ZSTD',
  canEncode: false,
  encode() {
    throw new CompressionError('UnsupportedCompression', 'this client cannot encode ZSTD');
  },
  decode(payload, uncompressedSize) {
    let out: Uint8Array;
    try {
      // fzstd fills a caller-supplied buffer without reporting the real size, so it sizes the
      // output itself and the length is checked below.
      out = decompress(payload);
    } catch (cause) {
      throw new CompressionError('CorruptPayload', 'ZSTD payload is corrupt', { cause });
    }
    if (out.length !== uncompressedSize) {
      throw new CompressionError(
        'CorruptPayload',
        `ZSTD payload decoded to ${out.length} bytes, metadata says ${uncompressedSize}`,
      );
    }
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  },
};
