/**
 * Compression as Pulsar's `MessageMetadata.compression` names it. The producer compresses the
 * whole entry payload (a single message or a whole batch) and records the size before
 * compression in `uncompressed_size`, which decoders need (LZ4 raw blocks carry no size).
 */
export type CompressionType = 'NONE' | 'LZ4' | 'ZLIB' | 'ZSTD' | 'SNAPPY';

/** Wire values of PulsarApi.proto's `CompressionType`. */
export const COMPRESSION_WIRE: Readonly<Record<CompressionType, number>> = {
  NONE: 0,
  LZ4: 1,
  ZLIB: 2,
  ZSTD: 3,
  SNAPPY: 4,
};

export interface CompressionCodec {
  readonly type: CompressionType;
  /** False for codecs this client can only decode. */
  readonly canEncode: boolean;
  encode(payload: Buffer): Buffer;
  /** `uncompressedSize` is MessageMetadata.uncompressed_size; a mismatch is CorruptPayload. */
  decode(payload: Buffer, uncompressedSize: number): Buffer;
}
