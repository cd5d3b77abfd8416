import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffDelay,
  decodeEvent,
  encodeEvent,
  MalformedEventError,
  NonRetryableError,
} from '../../src/messaging/index.js';

test('backoff grows exponentially up to the cap', () => {
  const o = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o)),
    [100, 200, 400, 800, 1000, 1000],
  );
});

test('jitter takes off at most its fraction, and delays never shrink between attempts', () => {
  const o = { initialMs: 100, multiplier: 2, maxMs: 100_000, jitter: 0.5 };
  assert.equal(
    backoffDelay(1, o, () => 0),
    100,
  );
  assert.equal(
    backoffDelay(1, o, () => 1),
    50,
  );
  for (let a = 1; a < 10; a++)
    assert.ok(backoffDelay(a + 1, o, () => 1) >= backoffDelay(a, o, () => 0));
});

test('a delay that overflows is maxMs, and no initial delay stays no delay (never NaN)', () => {
  const huge = { initialMs: 1, multiplier: 1e308, maxMs: 5000, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3].map((a) => backoffDelay(a, huge)),
    [1, 5000, 5000],
  );
  const none = { initialMs: 0, multiplier: 1e308, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 2000].map((a) => backoffDelay(a, none)),
    [0, 0, 0, 0],
  );
  assert.equal(backoffDelay(1100, { initialMs: 0 }), 0);
});

test('events round-trip; malformed payloads fail with MALFORMED_EVENT (retryable)', () => {
  const e = {
    eventId: 'e1',
    type: 'item.viewed',
    userId: 'u1',
    itemId: 'i1',
    occurredAt: '2026-01-01T00:00:00.000Z',
  };
  assert.deepEqual(decodeEvent(encodeEvent(e)), e);
  for (const bad of [
    'not json',
    '[]',
    '{"eventId":"e"}',
    JSON.stringify({ ...e, occurredAt: 'x' }),
    JSON.stringify({ ...e, itemId: 3 }),
  ]) {
    assert.throws(
      () => decodeEvent(Buffer.from(bad)),
      (err: unknown) =>
        err instanceof MalformedEventError &&
        !(err instanceof NonRetryableError) &&
        err.code === 'MALFORMED_EVENT',
    );
  }
});
