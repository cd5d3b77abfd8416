import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetter, recover, retry } from '../../src/messaging/index.js';
import type { HandlerLogger, MessageContext } from '../../src/messaging/index.js';
import { BrokerMessageId } from '../../src/broker/index.js';
import { messageLogFields } from '../../src/messaging/message-log.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

const PROPERTIES = {
  eventId: 'e-1',
  requestId: 'req-7',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};
const TIES = { eventId: 'e-1', requestId: 'req-7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };

function recording(): { logger: HandlerLogger; lines: Array<[string, Record<string, unknown>]> } {
  const lines: Array<[string, Record<string, unknown>]> = [];
  const log = (msg?: string) => (obj: object) => lines.push([msg ?? '', obj as never]);
  const logger: HandlerLogger = {
    debug: (obj, msg) => log(msg)(obj),
    info: (obj, msg) => log(msg)(obj),
    warn: (obj, msg) => log(msg)(obj),
    error: (obj, msg) => log(msg)(obj),
  };
  return { logger, lines };
}

function withLogger(ctx: MessageContext, logger: HandlerLogger): MessageContext {
  return Object.defineProperty(ctx, 'logger', { value: logger });
}

test('a message is logged with the ids that tie it to its request', () => {
  const msg = fakeMessage('x', PROPERTIES);
  assert.deepEqual(messageLogFields(msg, 'activity'), {
    topic: 'persistent://public/default/t',
    subscription: 'activity',
    messageId: msg.getMessageId().toString(),
    ...TIES,
  });
  // A message published by other means has none of them; a malformed traceparent is no id.
  const bare = fakeMessage('x', { traceparent: 'garbage' });
  assert.deepEqual(Object.keys(messageLogFields(bare, 's')), [
    'topic',
    'subscription',
    'messageId',
  ]);
});

test('retry, dead-letter and recover log lines carry eventId, requestId and traceId', async () => {
  const failing = async () => {
    throw new Error('boom');
  };
  const { logger, lines } = recording();
  const msg = fakeMessage('x', PROPERTIES);
  await retry({ maxAttempts: 2 })(failing)(msg, withLogger(fakeContext(msg), logger));
  const sink = async () => new BrokerMessageId(9n, 1n);
  const last = fakeMessage('x', { ...PROPERTIES, RECONSUMETIMES: '1' });
  await deadLetter({ topic: 'dlq', sink })(failing)(last, withLogger(fakeContext(last), logger));
  await recover()(failing)(msg, withLogger(fakeContext(msg), logger));
  assert.deepEqual(
    lines.map(([text]) => text),
    [
      'message failed; retrying later',
      'message dead-lettered',
      'message handling failed; it will be redelivered',
    ],
  );
  for (const [text, fields] of lines)
    for (const [k, v] of Object.entries(TIES)) assert.equal(fields[k], v, `${text}: ${k}`);
});
