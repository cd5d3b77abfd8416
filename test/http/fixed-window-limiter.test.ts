import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FixedWindowLimiter } from '../../src/http/fixed-window-limiter.js';

test('a window opens with the first request and counts until it ends', () => {
  let now = 1_000_000;
  const limiter = new FixedWindowLimiter({ max: 2, windowMs: 10_000, now: () => now });
  assert.deepEqual(limiter.hit('a'), { count: 1, resetMs: 10_000 });
  now += 4_000;
  assert.deepEqual(limiter.hit('a'), { count: 2, resetMs: 6_000 });
  assert.deepEqual(limiter.hit('a'), { count: 3, resetMs: 6_000 });
  // Another client has its own window.
  assert.deepEqual(limiter.hit('b'), { count: 1, resetMs: 10_000 });
  now += 5_999;
  assert.deepEqual(limiter.hit('a'), { count: 4, resetMs: 1 });
  now += 1;
  assert.deepEqual(limiter.hit('a'), { count: 1, resetMs: 10_000 }, 'a new window');
  assert.deepEqual(limiter.hit('b'), { count: 2, resetMs: 4_000 });
});

test('at most maxClients clients are remembered, the least recently seen goes first', () => {
  const now = 0;
  const limiter = new FixedWindowLimiter({
    max: 5,
    windowMs: 60_000,
    maxClients: 2,
    now: () => now,
  });
  limiter.hit('a');
  limiter.hit('b');
  limiter.hit('a'); // b is now the least recently seen
  limiter.hit('c'); // forgets b
  assert.equal(limiter.size, 2);
  assert.equal(limiter.hit('a').count, 3, 'a is remembered');
  assert.equal(limiter.hit('b').count, 1, 'b starts afresh');
  assert.equal(limiter.hit('a').count, 4);
  assert.equal(limiter.hit('c').count, 1, 'c was forgotten when b came back');
  const many = new FixedWindowLimiter({ max: 5, windowMs: 60_000, maxClients: 100 });
  for (let i = 0; i < 1000; i++) many.hit(`ip:${i}`);
  assert.equal(many.size, 100);
});
