import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerMessageId, RETRY_PROPERTIES, type ProducerMessage } from '../../src/broker/index.js';
import {
  deadLetter,
  FAILURE_PROPERTIES,
  SettleFailedError,
  NonRetryableError,
} from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

function recordingSink() {
  const sent: Array<{ topic: string; message: ProducerMessage }> = [];
  const sink = async (topic: string, message: ProducerMessage) => {
    sent.push({ topic, message });
    return new BrokerMessageId(9n, BigInt(sent.length));
  };
  return { sent, sink };
}

test('dead-letter stores the message with why it failed, then acks it', async () => {
  const { sent, sink } = recordingSink();
  const msg = fakeMessage(
    'payload',
    {
      eventId: 'e1',
      [RETRY_PROPERTIES.reconsumeTimes]: '4',
      [RETRY_PROPERTIES.realTopic]: 'persistent://public/default/user-events',
      [RETRY_PROPERTIES.originMessageId]: '5:6:-1',
      [FAILURE_PROPERTIES.firstFailureAt]: '2026-01-01T00:00:00.000Z',
    },
    { partitionKey: 'u1' },
  );
  const ctx = fakeContext(msg, {
    now: () => Date.parse('2026-01-01T00:05:00Z'),
    subscription: 'activity',
  });
  await deadLetter({ topic: 'dlq', sink })(async () => {
    throw new Error('still broken');
  })(msg, ctx);
  assert.equal(ctx.outcome, 'dead-lettered');
  assert.equal(sent.length, 1);
  const { topic, message } = sent[0];
  assert.equal(topic, 'dlq');
  assert.equal(message.data.toString(), 'payload');
  assert.equal(message.partitionKey, 'u1');
  const p = message.properties!;
  assert.equal(p.eventId, 'e1');
  assert.equal(p[FAILURE_PROPERTIES.error], 'still broken');
  assert.equal(p[FAILURE_PROPERTIES.attempts], '5');
  assert.equal(p[FAILURE_PROPERTIES.firstFailureAt], '2026-01-01T00:00:00.000Z');
  assert.equal(p[FAILURE_PROPERTIES.lastFailureAt], '2026-01-01T00:05:00.000Z');
  assert.equal(p[FAILURE_PROPERTIES.originalTopic], 'persistent://public/default/user-events');
  assert.equal(p[FAILURE_PROPERTIES.originalMessageId], '5:6:-1');
  assert.equal(p[FAILURE_PROPERTIES.subscription], 'activity');
});

test('dead-letter records the error code of typed errors', async () => {
  const { sent, sink } = recordingSink();
  const msg = fakeMessage('x');
  await deadLetter({ topic: 'dlq', sink })(async () => {
    throw new NonRetryableError('nope');
  })(msg, fakeContext(msg));
  assert.equal(sent[0].message.properties![FAILURE_PROPERTIES.errorCode], 'NON_RETRYABLE');
  assert.equal(
    sent[0].message.properties![FAILURE_PROPERTIES.originalMessageId],
    msg.getMessageId().toString(),
  );
});

test('dead-letter does not store messages whose settlement failed, or already settled', async () => {
  const { sent, sink } = recordingSink();
  const msg = fakeMessage('x');
  await assert.rejects(
    deadLetter({ topic: 'dlq', sink })(async () => {
      throw new SettleFailedError('retry publish failed');
    })(msg, fakeContext(msg)),
    SettleFailedError,
  );
  const ctx = fakeContext(msg);
  await assert.rejects(
    deadLetter({ topic: 'dlq', sink })(async (_m, c) => {
      c.nack();
      throw new Error('x');
    })(msg, ctx),
  );
  assert.equal(sent.length, 0);
});

test('a failing dead-letter publish propagates (the message is redelivered)', async () => {
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg);
  await assert.rejects(
    deadLetter({
      topic: 'dlq',
      sink: async () => {
        throw new Error('broker down');
      },
    })(async () => {
      throw new Error('handler');
    })(msg, ctx),
    /broker down/,
  );
  assert.equal(ctx.outcome, undefined);
});

test('a last error without a code does not keep the code of an earlier attempt', async () => {
  const { sent, sink } = recordingSink();
  const msg = fakeMessage('payload', {
    [RETRY_PROPERTIES.reconsumeTimes]: '1',
    [FAILURE_PROPERTIES.error]: 'handler did not finish within 50 ms',
    [FAILURE_PROPERTIES.errorCode]: 'HANDLER_TIMEOUT',
  });
  await deadLetter({ topic: 'dlq', sink })(async () => {
    throw new Error('database is locked');
  })(msg, fakeContext(msg));
  const p = sent[0].message.properties!;
  assert.equal(p[FAILURE_PROPERTIES.error], 'database is locked');
  assert.equal(p[FAILURE_PROPERTIES.errorCode], '');
});
