import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createMessageRouter,
  javaStringHash,
  murmur3_32,
  murmur3Hash,
  signSafeMod,
} from '../../src/pulsar/routing/index.js';

// Expected values printed by a JVM: (key.hashCode() & Integer.MAX_VALUE).
const JAVA_HASHES: Array<[string, number]> = [
  ['', 0],
  ['a', 97],
  ['user-42', 2000300992],
  ['Magnetar', 2146950459],
  ['clé-ü', 94871567],
  ['😀key', 1276932636], // surrogate pair: hashed as two UTF-16 code units
  ['polygenelubricants', 0], // hashCode() is Integer.MIN_VALUE
  ['a-very-long-key-that-overflows-the-int-many-times-over-0123456789', 1317146289],
];

test('javaStringHash equals String.hashCode() & Integer.MAX_VALUE', () => {
  for (const [key, expected] of JAVA_HASHES) assert.equal(javaStringHash(key), expected, key);
});

test('murmur3_32 matches the reference vectors (seed 0 and seeded)', () => {
  assert.equal(murmur3_32(Buffer.alloc(0)), 0);
  assert.equal(murmur3_32(Buffer.alloc(0), 1) >>> 0, 0x514e28b7);
  assert.equal(murmur3_32(Buffer.from('hello')) >>> 0, 0x248bfa47);
  assert.equal(
    murmur3_32(Buffer.from('The quick brown fox jumps over the lazy dog')) >>> 0,
    0x2e4ff723,
  );
  assert.equal(murmur3_32(Buffer.from([0xff, 0xff, 0xff, 0xff])) >>> 0, 0x76293b50);
  assert.equal(murmur3_32(Buffer.from([0x21, 0x43, 0x65])) >>> 0, 0x7e4a8634);
  assert.equal(murmur3Hash('hello'), 0x248bfa47 & 0x7fffffff);
});

test('signSafeMod never returns a negative partition', () => {
  assert.equal(signSafeMod(-1, 4), 3);
  assert.equal(signSafeMod(-8, 4), 0);
  assert.equal(signSafeMod(9, 4), 1);
});

test('keyed messages route by hash mod partitions, whatever the mode', () => {
  for (const routingMode of ['RoundRobinPartition', 'SinglePartition'] as const) {
    const router = createMessageRouter({ routingMode, random: () => 0.5 });
    assert.equal(router.choosePartition('user-42', 7), 4);
    assert.equal(router.choosePartition('Magnetar', 7), 3);
    assert.equal(router.choosePartition('', 7), 0);
  }
  const murmur = createMessageRouter({ hashingScheme: 'Murmur3_32Hash' });
  assert.equal(murmur.choosePartition('hello', 5), (0x248bfa47 & 0x7fffffff) % 5);
});

test('unkeyed messages without batching go round robin from a random start', () => {
  const router = createMessageRouter({ batchingEnabled: false, random: () => 0 });
  const got = Array.from({ length: 6 }, () => router.choosePartition(undefined, 3));
  assert.deepEqual(got, [0, 1, 2, 0, 1, 2]);
});

test('unkeyed messages with batching switch partition every batching delay', () => {
  let clock = 1_000_000;
  const router = createMessageRouter({
    batchingMaxPublishDelayMs: 10,
    now: () => clock,
    random: () => 0,
  });
  const first = router.choosePartition(undefined, 4);
  clock += 9;
  assert.equal(router.choosePartition(undefined, 4), first);
  clock += 1;
  assert.equal(router.choosePartition(undefined, 4), (first + 1) % 4);
});

test('SinglePartition keeps every unkeyed message on one partition', () => {
  const router = createMessageRouter({ routingMode: 'SinglePartition', random: () => 0.9 });
  const parts = new Set(Array.from({ length: 20 }, () => router.choosePartition(undefined, 5)));
  assert.equal(parts.size, 1);
  assert.equal(createMessageRouter().choosePartition('k', 1), 0);
});
