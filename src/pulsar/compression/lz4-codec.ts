import lz4 from 'lz4js';
import { CompressionError } from './compression-error.js';
import type { CompressionCodec } from './types.js';

/**
 * LZ4 as the Java client writes it (lz4-java's fast compressor): one raw LZ4 block, no frame
 * header, no checksum; the decoded size comes from MessageMetadata.uncompressed_size.
 */
export const lz4Codec: CompressionCodec = {
  type: 'LZ4',
  canEncode: true,
  encode(payload) {
    const out = Buffer.alloc(lz4.compressBound(payload.length));
    const hashTable = new Uint32Array(1 << 16);
    const written = lz4.compressBlock(payload, out, 0, payload.length, hashTable);
    // lz4js returns 0 when it found no match; a literal-only block is still a valid block.
    if (written === 0) return literalOnlyBlock(payload);
    return out.subarray(0, written);
  },
  decode(payload, uncompressedSize) {
    const out = Buffer.alloc(uncompressedSize);
    let end: number;
    try {
      end = lz4.decompressBlock(payload, out, 0, payload.length, 0);
    } catch (cause) {
      throw new CompressionError('CorruptPayload', 'LZ4 block is corrupt', { cause });
    }
    if (end !== uncompressedSize) {
      throw new CompressionError(
        'CorruptPayload',
        `LZ4 block decoded to ${end} bytes, metadata says ${uncompressedSize}`,
      );
    }
    return out;
  },
};

/** A block made of one literal run: token, length extension bytes, the bytes themselves. */
function literalOnlyBlock(payload: Buffer): Buffer {
  const n = payload.length;
  const ext: number[] = [];
  if (n >= 15) {
    let rest = n - 15;
    while (rest >= 255) {
      ext.push(255);
      rest -= 255;
    }
    ext.push(rest);
  }
  const token = Math.min(n, 15) << 4;
  return Buffer.concat([Buffer.from([token, ...ext]), payload]);
}
