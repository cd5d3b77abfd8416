import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchAckTracker, TimedIds } from '../../src/pulsar/ack-trackers.js';
import { MessageId } from '../../src/pulsar/message-id.js';

test('the entry of a batch is acked only when all its messages are', () => {
  const t = new BatchAckTracker();
  const id = (i: number) => new MessageId(3n, 7n, -1, i, 3);
  t.track(id(0).entryKey(), [0, 1, 2]);
  assert.equal(t.ack(id(1)), false);
  assert.equal(t.ack(id(0)), false);
  assert.equal(t.ack(id(1)), false, 'acking twice does not complete the batch');
  assert.equal(t.ack(id(2)), true);
});

test('a cumulative ack completes earlier batches and part of the current one', () => {
  const t = new BatchAckTracker();
  t.track('3:6:-1', [0, 1]);
  t.track('3:7:-1', [0, 1, 2]);
  t.ackUpTo(new MessageId(3n, 7n, -1, 1, 3));
  assert.equal(t.ack(new MessageId(3n, 6n, -1, 0, 2)), true, 'entry 6 is gone');
  assert.equal(t.ack(new MessageId(3n, 7n, -1, 2, 3)), true, 'only index 2 of entry 7 was left');
});

test('timed ids come due in time and cumulative removal drops earlier ids', () => {
  const t = new TimedIds();
  t.add(new MessageId(1n, 1n), 100);
  t.add(new MessageId(1n, 2n), 200);
  t.add(new MessageId(1n, 3n), 300);
  assert.deepEqual(t.takeDue(150).map(String), ['1:1:-1']);
  t.removeUpTo(new MessageId(1n, 2n));
  assert.deepEqual(t.takeDue(1000).map(String), ['1:3:-1']);
  assert.equal(t.size, 0);
});
