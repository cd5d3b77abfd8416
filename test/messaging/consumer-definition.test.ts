import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineConsumer, RetryLaterError } from '../../src/messaging/index.js';

const base = { topic: 'user-events', subscription: 's', handler: async () => undefined };

test('timeoutMs: Infinity means no limit; what a timer cannot wait for is refused', () => {
  assert.equal(defineConsumer(base).timeoutMs, 30_000);
  assert.equal(defineConsumer({ ...base, timeoutMs: 0 }).timeoutMs, 0);
  assert.equal(defineConsumer({ ...base, timeoutMs: Infinity }).timeoutMs, 0);
  assert.equal(defineConsumer({ ...base, timeoutMs: 2 ** 31 - 1 }).timeoutMs, 2 ** 31 - 1);
  for (const bad of [2 ** 31, -1, 1.5, NaN])
    assert.throws(() => defineConsumer({ ...base, timeoutMs: bad }), RangeError, String(bad));
});

test('RetryLaterError takes a finite delay >= 0 only', () => {
  assert.equal(new RetryLaterError(1500.7).delayMs, 1500);
  assert.equal(new RetryLaterError(0).delayMs, 0);
  for (const bad of [NaN, Infinity, -1])
    assert.throws(() => new RetryLaterError(bad), RangeError, String(bad));
});
