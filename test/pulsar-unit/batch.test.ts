import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  batchEntryBound,
  DefaultBatchContainer,
  encodeBatchPayload,
  KeyBatchContainer,
  type BatchedMessage,
} from '../../src/pulsar/batch-container.js';
import { decodeBatch } from '../../src/pulsar/batch-payload.js';
import { PulsarClientError } from '../../src/pulsar/errors.js';
import type { ProducerMessage } from '../../src/pulsar/options.js';

function item(message: ProducerMessage): BatchedMessage {
  return { message, resolve: () => undefined, reject: () => undefined };
}

test('a batch payload round-trips with per-message metadata', () => {
  const c = new KeyBatchContainer(100, 1 << 20);
  c.add(
    item({ data: Buffer.from('a'), partitionKey: 'k', properties: { x: '1' }, eventTimestamp: 5 }),
  );
  c.add(item({ data: Buffer.from('bb'), partitionKey: 'k', properties: { y: '2' } }));
  const [batch] = c.drain();
  const payload = Buffer.concat(encodeBatchPayload(batch, 10n));
  const singles = decodeBatch(payload, 2);
  assert.deepEqual(
    singles.map((s) => [
      s.data.toString(),
      s.meta.partitionKey,
      s.meta.sequenceId,
      s.meta.eventTime,
    ]),
    [
      ['a', 'k', 10n, 5n],
      ['bb', 'k', 11n, 0n],
    ],
  );
  assert.deepEqual(
    singles.map((s) => s.meta.properties.map((p) => `${p.key}=${p.value}`)),
    [['x=1'], ['y=2']],
  );
});

test('a batch never mixes keys and batches leave in first-message order', () => {
  const c = new KeyBatchContainer(100, 1 << 20);
  for (const k of ['b', 'a', 'b', 'c', 'a']) c.add(item({ data: Buffer.from(k), partitionKey: k }));
  const batches = c.drain();
  assert.deepEqual(
    batches.map((b) => [b.partitionKey, b.items.map((i) => i.message.data.toString()).join('')]),
    [
      ['b', 'bb'],
      ['a', 'aa'],
      ['c', 'c'],
    ],
  );
  assert.equal(c.isEmpty, true);
});

test('ordering key separates batches even with the same partition key', () => {
  const c = new KeyBatchContainer(100, 1 << 20);
  c.add(item({ data: Buffer.from('1'), partitionKey: 'p', orderingKey: 'o1' }));
  c.add(item({ data: Buffer.from('2'), partitionKey: 'p', orderingKey: 'o2' }));
  assert.equal(c.drain().length, 2);
});

test('the container reports full at the message and byte limits', () => {
  const byCount = new KeyBatchContainer(2, 1 << 20);
  assert.equal(byCount.add(item({ data: Buffer.alloc(1) })), false);
  assert.equal(byCount.add(item({ data: Buffer.alloc(1) })), true);
  const byBytes = new KeyBatchContainer(100, 10);
  assert.equal(byBytes.add(item({ data: Buffer.alloc(6) })), false);
  const six = item({ data: Buffer.alloc(6) });
  assert.equal(byBytes.wouldOverflow(six, batchEntryBound(six.message), 1 << 20), true);
  assert.equal(byBytes.add(item({ data: Buffer.alloc(6) })), true);
});

test('a truncated batch is an InvalidMessage error', () => {
  const c = new KeyBatchContainer(100, 1 << 20);
  c.add(item({ data: Buffer.from('hello') }));
  const payload = Buffer.concat(encodeBatchPayload(c.drain()[0], 0n));
  assert.throws(
    () => decodeBatch(payload.subarray(0, payload.length - 2), 1),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'InvalidMessage',
  );
  assert.throws(() => decodeBatch(payload, 2), PulsarClientError);
});

test('the default container keeps send order across keys in one keyless batch', () => {
  const c = new DefaultBatchContainer(100, 1 << 20);
  for (const k of ['b', 'a', 'b', 'c', 'a']) c.add(item({ data: Buffer.from(k), partitionKey: k }));
  const batches = c.drain();
  assert.equal(batches.length, 1);
  assert.equal(batches[0].partitionKey, undefined);
  assert.equal(batches[0].items.map((i) => i.message.data.toString()).join(''), 'babca');
  // Each message keeps its own key inside the batch.
  const singles = decodeBatch(Buffer.concat(encodeBatchPayload(batches[0], 0n)), 5);
  assert.deepEqual(
    singles.map((s) => s.meta.partitionKey),
    ['b', 'a', 'b', 'c', 'a'],
  );
});

test('batchEntryBound is never below the encoded size of a message in a batch', () => {
  const messages: ProducerMessage[] = [
    { data: Buffer.alloc(0) },
    { data: Buffer.alloc(10), partitionKey: 'k'.repeat(300), orderingKey: 'o' },
    {
      data: Buffer.alloc(1000),
      properties: Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [`key-${i}-é`, 'v'.repeat(i * 40)]),
      ),
      eventTimestamp: Number.MAX_SAFE_INTEGER,
    },
  ];
  for (const m of messages) {
    const c = new DefaultBatchContainer(100, 1 << 20);
    c.add(item(m));
    const encoded = Buffer.concat(encodeBatchPayload(c.drain()[0], 2n ** 63n - 1n)).length;
    assert.ok(batchEntryBound(m) >= encoded, `${batchEntryBound(m)} < ${encoded}`);
    assert.ok(batchEntryBound(m) - encoded < 1000, 'the bound stays close');
  }
});

for (const Container of [DefaultBatchContainer, KeyBatchContainer]) {
  test(`${Container.name} asks for a flush before a batch entry outgrows its limit`, () => {
    const c = new Container(100, 1 << 30);
    const a = item({ data: Buffer.alloc(600), partitionKey: 'k' });
    const b = item({ data: Buffer.alloc(600), partitionKey: 'k' });
    const limit = batchEntryBound(a.message) + batchEntryBound(b.message) - 1;
    assert.equal(c.wouldOverflow(a, batchEntryBound(a.message), limit), false);
    c.add(a);
    assert.equal(c.wouldOverflow(b, batchEntryBound(b.message), limit), true);
    assert.equal(c.wouldOverflow(b, batchEntryBound(b.message), limit + 1), false);
  });
}
