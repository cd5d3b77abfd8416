import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fullTopicName,
  retryTopicName,
  deadLetterTopicName,
  parseMessageId,
  BrokerMessageId,
} from '../../src/broker/index.js';

test('short topic names resolve in public/default', () => {
  assert.equal(fullTopicName('user-events'), 'persistent://public/default/user-events');
  assert.equal(fullTopicName('t1/ns/x'), 'persistent://t1/ns/x');
  assert.equal(fullTopicName('non-persistent://a/b/c'), 'non-persistent://a/b/c');
  assert.throws(() => fullTopicName('a/b'), TypeError);
});

test('retry and dead-letter topics follow the Pulsar clients naming', () => {
  assert.equal(
    retryTopicName('user-events', 'activity'),
    'persistent://public/default/user-events-activity-RETRY',
  );
  assert.equal(
    deadLetterTopicName('user-events', 'activity'),
    'persistent://public/default/user-events-activity-DLQ',
  );
});

test('message ids round-trip through their string form and order', () => {
  const a = new BrokerMessageId(3n, 7n, -1, -1);
  assert.equal(a.toString(), '3:7:-1');
  assert.ok(parseMessageId('3:7:-1').equals(a));
  assert.ok(parseMessageId('3:7:-1:2').compare(parseMessageId('3:7:-1:1')) > 0);
  assert.ok(parseMessageId('3:8:-1').compare(a) > 0);
  assert.throws(() => parseMessageId('x'), TypeError);
});
