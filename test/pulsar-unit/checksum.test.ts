import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, crc32cOf } from '../../src/pulsar/checksum.js';

// Check values of CRC-32C (Castagnoli), from RFC 3720 B.4 and the common "123456789" vector.
test('CRC32C matches the published check values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(crc32c(inc), 0x46dd794e);
});

test('CRC32C over parts equals CRC32C over the whole', () => {
  const whole = Buffer.from('the quick brown fox jumps over the lazy dog');
  assert.equal(crc32cOf([whole.subarray(0, 10), whole.subarray(10)]), crc32c(whole));
  assert.equal(crc32c(whole.subarray(10), crc32c(whole.subarray(0, 10))), crc32c(whole));
});
