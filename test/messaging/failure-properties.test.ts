import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerMessageId, type ProducerMessage } from '../../src/broker/index.js';
import { deadLetter, retry, FAILURE_PROPERTIES } from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

/** Errors whose `message` is not a string, or cannot be read at all. */
function oddErrors(): Array<[string, unknown, string]> {
  const noMessage = new Error();
  (noMessage as { message: unknown }).message = undefined;
  const getterThrows = new Error('x');
  Object.defineProperty(getterThrows, 'message', {
    get() {
      throw new Error('getter');
    },
  });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  // JSON.stringify throws on the BigInt, String() for want of a prototype.
  const unprintable = Object.assign(Object.create(null) as object, { n: 1n });
  return [
    ['a number message', Object.assign(new Error(), { message: 42 }), '42'],
    ['an object message', Object.assign(new Error(), { message: { why: 'x' } }), '{"why":"x"}'],
    ['a cyclic object message', Object.assign(new Error(), { message: cyclic }), '[object Object]'],
    [
      'an unprintable object message',
      Object.assign(new Error(), { message: unprintable }),
      '[object Object]',
    ],
    ['an undefined message', noMessage, 'Error'],
    ['an empty message', new TypeError(''), 'TypeError'],
    ['a throwing message getter', getterThrows, 'Error'],
    [
      'a throwing code getter',
      Object.defineProperty(new Error('m'), 'code', {
        get() {
          throw new Error('code');
        },
      }),
      'm',
    ],
  ];
}

test('retry schedules the retry whatever the error message looks like', async () => {
  for (const [label, error, text] of oddErrors()) {
    const msg = fakeMessage('x');
    const ctx = fakeContext(msg);
    await retry({ maxAttempts: 3, backoff: { initialMs: 10, jitter: 0 } })(async () => {
      throw error;
    })(msg, ctx);
    assert.equal(ctx.outcome, 'retried', label);
    assert.equal(ctx.calls[0].properties?.[FAILURE_PROPERTIES.error], text, label);
    assert.equal(ctx.calls[0].properties?.[FAILURE_PROPERTIES.errorCode], '', label);
  }
});

test('a dead letter says why it failed whatever the error message looks like', async () => {
  for (const [label, error, text] of oddErrors()) {
    const sent: ProducerMessage[] = [];
    const sink = async (_topic: string, m: ProducerMessage) => {
      sent.push(m);
      return new BrokerMessageId(1n, BigInt(sent.length));
    };
    const msg = fakeMessage('x');
    const ctx = fakeContext(msg);
    await deadLetter({ topic: 'dlq', sink })(
      retry({ maxAttempts: 1 })(async () => {
        throw error;
      }),
    )(msg, ctx);
    assert.equal(ctx.outcome, 'dead-lettered', label);
    assert.equal(sent[0].properties?.[FAILURE_PROPERTIES.error], text, label);
  }
});

test('a thrown value that cannot be printed is still retried as a HandlerPanicError', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  const unprintable = Object.assign(Object.create(null) as object, { n: 1n });
  await retry({ maxAttempts: 3 })(async () => {
    throw unprintable;
  })(msg, ctx);
  assert.equal(ctx.outcome, 'retried');
  assert.equal(
    ctx.calls[0].properties?.[FAILURE_PROPERTIES.error],
    'handler threw a non-error value: [object Object]',
  );
  assert.equal(ctx.calls[0].properties?.[FAILURE_PROPERTIES.errorCode], 'HANDLER_PANIC');
});
