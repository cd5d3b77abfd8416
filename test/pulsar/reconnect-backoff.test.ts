import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, backoffDelay } from '../../src/pulsar/reconnect-backoff.js';

test('delays double from the initial delay up to the cap', () => {
  const opts = { initialMs: 100, maxMs: 1000, random: () => 0 };
  const got = [0, 1, 2, 3, 4, 5, 60, 5000].map((a) => backoffDelay(a, opts));
  assert.deepEqual(got, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
});

test('jitter takes off at most its share, never going under the initial delay', () => {
  const opts = { initialMs: 100, maxMs: 10_000, jitter: 0.1, random: () => 0.999999 };
  assert.equal(backoffDelay(0, opts), 100);
  assert.equal(backoffDelay(3, opts), 800 - 79);
  assert.equal(backoffDelay(20, opts), 10_000 - 999);
  const half = { initialMs: 100, maxMs: 10_000, jitter: 0.5, random: () => 0.5 };
  assert.equal(backoffDelay(2, half), 300);
});

test('two clients with different randomness spread their retries', () => {
  const a = backoffDelay(6, { random: () => 0.1 });
  const b = backoffDelay(6, { random: () => 0.9 });
  assert.notEqual(a, b);
  for (const d of [a, b]) assert.ok(d <= 6400 && d >= 5760, String(d));
});

test('Backoff counts attempts and starts over after reset', () => {
  const b = new Backoff({ initialMs: 10, maxMs: 100, random: () => 0 });
  assert.deepEqual([b.next(), b.next(), b.next()], [10, 20, 40]);
  assert.equal(b.attempts, 3);
  b.reset();
  assert.equal(b.next(), 10);
});
