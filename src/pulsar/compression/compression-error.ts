/** Why a payload could not be compressed or decompressed. */
export type CompressionErrorCode = 'UnsupportedCompression' | 'CorruptPayload';

/**
 * A payload the client cannot turn back into the producer's bytes. The consumer reports it
 * and never delivers the message, like a checksum mismatch.
 */
export class CompressionError extends Error {
  readonly code: CompressionErrorCode;
  constructor(code: CompressionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CompressionError';
    this.code = code;
  }
}
