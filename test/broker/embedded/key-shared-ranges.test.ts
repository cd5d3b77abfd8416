import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KEY_HASH_RANGE,
  KeySharedRanges,
  stickyKeyHash,
} from '../../../src/broker/embedded/key-shared-ranges.js';

test('sticky key hash is Murmur3_32 of the key modulo 65536, ordering key first', () => {
  // murmur3_32("hello", seed 0) = 0x248bfa47
  assert.equal(stickyKeyHash(undefined, 'hello'), 0x248bfa47 % KEY_HASH_RANGE);
  assert.equal(stickyKeyHash('hello', 'other'), 0x248bfa47 % KEY_HASH_RANGE);
  assert.equal(stickyKeyHash(undefined, undefined), stickyKeyHash('NONE_KEY', undefined));
  for (let i = 0; i < 1000; i++) {
    const h = stickyKeyHash(`key-${i}`, undefined);
    assert.ok(Number.isInteger(h) && h >= 0 && h < KEY_HASH_RANGE);
  }
});

test('ranges auto-split like Pulsar: each newcomer takes half of the widest range', () => {
  const r = new KeySharedRanges<string>();
  r.add('c1');
  assert.deepEqual(r.ranges(), [{ consumer: 'c1', start: 0, end: 65536 }]);
  r.add('c2');
  assert.deepEqual(r.ranges(), [
    { consumer: 'c2', start: 0, end: 32768 },
    { consumer: 'c1', start: 32769, end: 65536 },
  ]);
  r.add('c3');
  assert.deepEqual(
    r.ranges().map((x) => [x.consumer, x.end]),
    [
      ['c3', 16384],
      ['c2', 32768],
      ['c1', 65536],
    ],
  );
  assert.equal(r.select(0), 'c3');
  assert.equal(r.select(16384), 'c3');
  assert.equal(r.select(16385), 'c2');
  assert.equal(r.select(65535), 'c1');
});

test('a leaving consumer hands its range to a neighbour; other keys stay put', () => {
  const r = new KeySharedRanges<string>();
  for (const c of ['c1', 'c2', 'c3']) r.add(c);
  const before = new Map<number, string>();
  for (let slot = 0; slot < KEY_HASH_RANGE; slot += 97) before.set(slot, r.select(slot)!);
  r.remove('c2');
  for (const [slot, owner] of before) {
    if (owner !== 'c2') assert.equal(r.select(slot), owner, `slot ${slot} moved`);
    else assert.equal(r.select(slot), 'c1');
  }
  // The top range goes to the range below it.
  r.remove('c1');
  assert.deepEqual(r.ranges(), [{ consumer: 'c3', start: 0, end: 65536 }]);
  r.remove('c3');
  assert.equal(r.select(5), undefined);
});
