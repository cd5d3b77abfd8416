/**
 * Key hashes of the Java client, bit for bit, so a key lands on the same partition whichever
 * client produced it. Both are masked with `& Integer.MAX_VALUE` as the Java client does.
 */

export type HashingScheme = 'JavaStringHash' | 'Murmur3_32Hash';

/** Java's `String.hashCode()` over UTF-16 code units, then `& Integer.MAX_VALUE`. */
export function javaStringHash(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) {
    h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  }
  return h & 0x7fffffff;
}

/** MurmurHash3 x86 32-bit, seed 0, over the key's UTF-8 bytes, then `& Integer.MAX_VALUE`. */
export function murmur3Hash(key: string): number {
  return murmur3_32(Buffer.from(key, 'utf8')) & 0x7fffffff;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3 x86_32 as Austin Appleby specified it; returns a signed 32-bit int. */
export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const tail = bytes.length & ~3;
  for (let i = 0; i < tail; i += 4) {
    const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h ^= mixK(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[tail + 2] << 16;
    if (rest >= 2) k ^= bytes[tail + 1] << 8;
    k ^= bytes[tail];
    h ^= mixK(k);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

export function hashKey(scheme: HashingScheme, key: string): number {
  return scheme === 'Murmur3_32Hash' ? murmur3Hash(key) : javaStringHash(key);
}
