import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeout, HandlerTimeoutError } from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

test('timeout rejects a slow handler and aborts its signal', async () => {
  const msg = fakeMessage('x');
  let seen: AbortSignal | undefined;
  const started = Date.now();
  await assert.rejects(
    timeout(30)(async (_m, ctx) => {
      seen = ctx.signal;
      await new Promise((r) => setTimeout(r, 500));
    })(msg, fakeContext(msg)),
    HandlerTimeoutError,
  );
  assert.ok(Date.now() - started < 400);
  assert.equal(seen?.aborted, true);
});

test('timeout lets a fast handler finish and passes its errors through', async () => {
  const msg = fakeMessage('x');
  let ran = false;
  await timeout(1000)(async () => {
    ran = true;
  })(msg, fakeContext(msg));
  assert.ok(ran);
  await assert.rejects(
    timeout(1000)(async () => {
      throw new RangeError('bad');
    })(msg, fakeContext(msg)),
    RangeError,
  );
});

test('timeout forwards an outer abort (shutdown) to the handler', async () => {
  const msg = fakeMessage('x');
  const outer = new AbortController();
  let aborted = false;
  const run = timeout(1000)(async (_m, ctx) => {
    await new Promise<void>((resolve) =>
      ctx.signal.addEventListener('abort', () => {
        aborted = true;
        resolve();
      }),
    );
  })(msg, fakeContext(msg, { signal: outer.signal }));
  outer.abort();
  await run;
  assert.ok(aborted);
});

test('timeout 0 means no limit', async () => {
  const msg = fakeMessage('x');
  await timeout(0)(async () => {
    await new Promise((r) => setTimeout(r, 20));
  })(msg, fakeContext(msg));
});

test('a signal read after the deadline is already aborted with the timeout', async () => {
  const msg = fakeMessage('x');
  let late: AbortSignal | undefined;
  const run = timeout(20)(async (_m, ctx) => {
    await new Promise((r) => setTimeout(r, 60));
    late = ctx.signal;
  })(msg, fakeContext(msg));
  await assert.rejects(run, HandlerTimeoutError);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(late?.aborted, true);
  assert.ok(late?.reason instanceof HandlerTimeoutError);
});

test('many handlers at once each get their own deadline from one middleware', async () => {
  // Margins wide enough for a busy machine: a 1 ms handler never meets the deadline.
  const mw = timeout(150);
  const msg = fakeMessage('x');
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) =>
      mw(async () => {
        await new Promise((r) => setTimeout(r, i % 2 === 0 ? 1 : 450));
      })(msg, fakeContext(msg)),
    ),
  );
  const timedOut = outcomes.filter(
    (o) => o.status === 'rejected' && o.reason instanceof HandlerTimeoutError,
  ).length;
  assert.equal(timedOut, 100);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 100);
});

test('after the deadline the attempt fails once the handler has stopped, not before', async () => {
  const msg = fakeMessage('x');
  const events: string[] = [];
  const run = timeout(20)(async (_m, ctx) => {
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    await new Promise((r) => setTimeout(r, 10)); // cleaning up after the abort
    events.push('handler stopped');
    throw ctx.signal.reason;
  })(msg, fakeContext(msg));
  await assert.rejects(
    run.finally(() => events.push('attempt failed')),
    HandlerTimeoutError,
  );
  assert.deepEqual(events, ['handler stopped', 'attempt failed']);
});

test('a handler that finishes its work within the grace period succeeds', async () => {
  const msg = fakeMessage('x');
  let done = false;
  await timeout(20)(async () => {
    await new Promise((r) => setTimeout(r, 30)); // ignores the signal, done before 20 + 20 ms
    done = true;
  })(msg, fakeContext(msg));
  assert.ok(done);
});

test('a synchronous handler (no promise returned) succeeds once, with or without a limit', async () => {
  const msg = fakeMessage('x');
  for (const ms of [1000, 0]) {
    let calls = 0;
    const sync = (() => {
      calls++;
    }) as unknown as Parameters<ReturnType<typeof timeout>>[0];
    await timeout(ms)(sync)(msg, fakeContext(msg));
    assert.equal(calls, 1, `timeout ${ms}`);
  }
  const throwing = (() => {
    throw new RangeError('sync');
  }) as unknown as Parameters<ReturnType<typeof timeout>>[0];
  await assert.rejects(timeout(1000)(throwing)(msg, fakeContext(msg)), RangeError);
});
