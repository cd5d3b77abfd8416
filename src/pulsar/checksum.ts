import CRC32C from 'crc-32/crc32c.js';

/**
 * CRC32C (Castagnoli) as Pulsar uses it for payload frames, as an unsigned 32-bit number.
 * The crc-32 package is pure JavaScript (table-driven, slice-by-16), so the client stays
 * free of native code.
 */
export function crc32c(data: Uint8Array, seed?: number): number {
  return CRC32C.buf(data, seed === undefined ? undefined : seed | 0) >>> 0;
}

/** CRC32C over several buffers as if they were one. */
export function crc32cOf(parts: readonly Uint8Array[]): number {
  let crc: number | undefined;
  for (const p of parts) crc = CRC32C.buf(p, crc);
  return (crc ?? 0) >>> 0;
}
