import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recover } from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

test('recover nacks when the handler throws, and resolves', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await recover()(async () => {
    throw new Error('boom');
  })(msg, ctx);
  assert.deepEqual(
    ctx.calls.map((c) => c.kind),
    ['nack'],
  );
});

test('recover catches a synchronous throw of a non-error value', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  const handler = (() => {
    throw 'a string';
  }) as unknown as Parameters<ReturnType<typeof recover>>[0];
  await recover()(handler)(msg, ctx);
  assert.equal(ctx.outcome, 'nacked');
});

test('recover leaves a successful message alone (the runtime acks it)', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await recover()(async () => {})(msg, ctx);
  assert.equal(ctx.outcome, undefined);
  assert.equal(ctx.calls.length, 0);
});

test('recover does not nack a message already settled', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await recover()(async (_m, c) => {
    await c.skip();
    throw new Error('after settling');
  })(msg, ctx);
  assert.deepEqual(
    ctx.calls.map((c) => c.kind),
    ['skip'],
  );
});
