import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RETRY_PROPERTIES } from '../../src/broker/index.js';
import {
  retry,
  NonRetryableError,
  RetryLaterError,
  SettleFailedError,
  FAILURE_PROPERTIES,
} from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

const failing = async () => {
  throw new Error('db down');
};
const backoff = { initialMs: 100, multiplier: 2, maxMs: 10_000, jitter: 0 };

test('retry schedules a failed first attempt with the initial delay and failure properties', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg, { now: () => Date.parse('2026-01-01T00:00:00Z') });
  await retry({ maxAttempts: 3, backoff })(failing)(msg, ctx);
  assert.equal(ctx.outcome, 'retried');
  const call = ctx.calls[0];
  assert.equal(call.delayMs, 100);
  assert.equal(call.properties?.[FAILURE_PROPERTIES.error], 'db down');
  assert.equal(call.properties?.[FAILURE_PROPERTIES.attempts], '1');
  assert.equal(call.properties?.[FAILURE_PROPERTIES.firstFailureAt], '2026-01-01T00:00:00.000Z');
  assert.equal(call.properties?.[FAILURE_PROPERTIES.originalTopic], msg.getTopicName());
});

test('retry delays grow with the attempt and keep the first failure time', async () => {
  const msg = fakeMessage('x', {
    [RETRY_PROPERTIES.reconsumeTimes]: '2',
    [FAILURE_PROPERTIES.firstFailureAt]: '2025-12-31T00:00:00.000Z',
  });
  const ctx = fakeContext(msg);
  assert.equal(ctx.attempt, 3);
  await retry({ maxAttempts: 5, backoff })(failing)(msg, ctx);
  assert.equal(ctx.calls[0].delayMs, 400);
  assert.equal(
    ctx.calls[0].properties?.[FAILURE_PROPERTIES.firstFailureAt],
    '2025-12-31T00:00:00.000Z',
  );
});

test('retry passes the error on at the last attempt', async () => {
  const msg = fakeMessage('x', { [RETRY_PROPERTIES.reconsumeTimes]: '2' });
  const ctx = fakeContext(msg);
  await assert.rejects(retry({ maxAttempts: 3, backoff })(failing)(msg, ctx), /db down/);
  assert.equal(ctx.calls.length, 0);
});

test('retry passes NonRetryableError straight on', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await assert.rejects(
    retry({ maxAttempts: 3 })(async () => {
      throw new NonRetryableError('bad input');
    })(msg, ctx),
    NonRetryableError,
  );
  assert.equal(ctx.calls.length, 0);
});

test('RetryLaterError sets the delay', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await retry({ maxAttempts: 3, backoff })(async () => {
    throw new RetryLaterError(7777);
  })(msg, ctx);
  assert.equal(ctx.calls[0].delayMs, 7777);
});

test('a failed retry publish surfaces as SettleFailedError (redeliver, never dead-letter)', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  ctx.failRetry = true;
  await assert.rejects(retry({ maxAttempts: 3 })(failing)(msg, ctx), SettleFailedError);
  assert.equal(ctx.outcome, undefined);
});

test('success is not retried', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await retry({ maxAttempts: 3 })(async () => {})(msg, ctx);
  assert.equal(ctx.outcome, undefined);
});
