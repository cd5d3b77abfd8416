import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchAckTracker, TimedIds } from '../../src/pulsar/ack-trackers.js';
import { MessageId } from '../../src/pulsar/message-id.js';

const batch = (entry: bigint, n: number) =>
  Array.from({ length: n }, (_, i) => new MessageId(3n, entry, -1, i, n));

test('the entry of a batch is acked only when all its messages are', () => {
  const t = new BatchAckTracker();
  const ids = batch(7n, 3);
  t.track(ids);
  assert.equal(t.ack(ids[1]), false);
  assert.equal(t.ack(ids[0]), false);
  assert.equal(t.ack(ids[1]), false, 'acking twice does not complete the batch');
  assert.equal(t.ack(ids[2]), true);
  assert.equal(t.ack(ids[2]), false, 'a completed batch completes once');
});

test('a cumulative ack completes earlier batches and part of the current one', () => {
  const t = new BatchAckTracker();
  const six = batch(6n, 2);
  const seven = batch(7n, 3);
  t.track(six);
  t.track(seven);
  t.ackUpTo(seven[1]);
  assert.equal(t.ack(six[0]), false, 'entry 6 was acked cumulatively: nothing more to send');
  assert.equal(t.ack(seven[2]), true, 'only index 2 of entry 7 was left');
});

test('acks of a copy delivered before a redelivery never complete the entry early', () => {
  const t = new BatchAckTracker();
  const first = batch(7n, 3);
  t.track(first);
  t.forget(first[0].entryKey()); // message 0 nacked: the entry comes again
  assert.equal(t.ack(first[1]), false);
  assert.equal(t.ack(first[2]), false, 'message 0 of this copy is still unacked');
  assert.equal(t.ack(batch(7n, 3)[1]), false, 'an id never delivered completes nothing');
  const again = batch(7n, 3);
  t.track(again);
  assert.equal(t.ack(again[0]), false);
  assert.equal(t.ack(again[1]), false);
  assert.equal(t.ack(again[2]), true, 'the redelivered copy completes on its own');
});

test('an id rebuilt by the application counts against the live copy holding its index', () => {
  const t = new BatchAckTracker();
  t.track(batch(7n, 2));
  assert.equal(t.ack(new MessageId(3n, 7n, -1, 0, 2)), false);
  assert.equal(t.ack(new MessageId(3n, 7n, -1, 1, 2)), true);
  t.clear();
  t.track(batch(8n, 1));
  t.clear();
  assert.equal(t.ack(new MessageId(3n, 8n, -1, 0, 1)), false, 'after a reconnection: unknown');
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
