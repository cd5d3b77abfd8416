import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { PulsarClientError, type Producer } from '../../src/pulsar/index.js';
import { MessageMetadataSchema } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { javaConsume } from '../helpers/pulsar.js';
import { clientFor, freshTopic, receiveN, text } from './client-fixture.js';

/** The standalone's maxMessageSize (Pulsar's default), announced in CONNECTED. */
const MAX = 5 * 1024 * 1024;

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'stored',
    (e: unknown) => (e instanceof PulsarClientError ? e.result : String(e)),
  );

/** Bytes of the MessageMetadata the producer writes for its next plain message. */
function nextMetadataSize(producer: Producer): number {
  return toBinary(
    MessageMetadataSchema,
    create(MessageMetadataSchema, {
      producerName: producer.getProducerName(),
      sequenceId: producer.getLastSequenceId() + 1n,
      publishTime: BigInt(Date.now()),
    }),
  ).length;
}

test('a message over the limit counting its properties is refused at once; the shared connection stays up', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('too-big');
  const other = freshTopic('too-big-neighbour');
  // On the same client, so on the same connection to the one broker.
  const consumer = await client.subscribe({
    topic: other,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const neighbour = await client.createProducer({ topic: other });
  const disconnects: string[] = [];
  consumer.on('disconnected', () => disconnects.push('consumer'));
  neighbour.on('disconnected', () => disconnects.push('neighbour'));
  for (const batchingEnabled of [true, false]) {
    const producer = await client.createProducer({ topic, batchingEnabled, sendTimeoutMs: 5000 });
    producer.on('disconnected', () => disconnects.push('producer'));
    const started = Date.now();
    const result = await outcome(
      producer.send({ data: Buffer.alloc(MAX, 'a'), properties: { big: 'p'.repeat(20 * 1024) } }),
    );
    assert.equal(result, 'MessageTooBig', `batching ${batchingEnabled}`);
    assert.ok(Date.now() - started < 1000, `refused after ${Date.now() - started} ms`);
    assert.equal(await outcome(producer.send({ data: Buffer.from('after') })), 'stored');
    await producer.close();
  }
  await neighbour.send({ data: Buffer.from('still here') });
  assert.equal(text((await receiveN(consumer, 1))[0]), 'still here');
  assert.deepEqual(disconnects, []);
});

for (const batchingEnabled of [true, false]) {
  test(`the largest message that fits is stored and readable, one byte more is refused (batching ${batchingEnabled})`, async (t) => {
    const client = await clientFor(t);
    const topic = freshTopic('largest');
    const consumer = await client.subscribe({
      topic,
      subscription: 's',
      subscriptionInitialPosition: 'Earliest',
    });
    const producer = await client.createProducer({ topic, batchingEnabled, sendTimeoutMs: 20_000 });
    const over = Buffer.alloc(MAX - nextMetadataSize(producer) + 1, 'o');
    assert.equal(await outcome(producer.send({ data: over })), 'MessageTooBig');
    const fits = Buffer.alloc(MAX - nextMetadataSize(producer), 'f');
    assert.equal(await outcome(producer.send({ data: fits })), 'stored');
    const [m] = await receiveN(consumer, 1, 30_000);
    assert.equal(m.getData().length, fits.length);
    assert.ok(m.getData().equals(fits));
    if (batchingEnabled) {
      // Pulsar's Java client reads it too (an oversize batch it would drop as corrupt).
      const [j] = await javaConsume(topic, 'java', 1, { timeoutMs: 120_000 });
      assert.equal(j.payload.length, fits.length);
    }
  });
}

test('batching splits messages that would make an entry over the limit', async (t) => {
  const client = await clientFor(t);
  const topic = freshTopic('split-batches');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await client.createProducer({
    topic,
    batchingMaxBytes: 64 * 1024 * 1024,
    batchingMaxPublishDelayMs: 200,
    sendTimeoutMs: 20_000,
  });
  const disconnects: string[] = [];
  producer.on('disconnected', () => disconnects.push('producer'));
  const chunk = 1536 * 1024;
  const sends = Array.from({ length: 6 }, (_, i) =>
    outcome(
      producer.send({
        data: Buffer.alloc(chunk, String(i)),
        properties: { index: String(i), pad: 'x'.repeat(4096) },
      }),
    ),
  );
  assert.deepEqual(await Promise.all(sends), Array(6).fill('stored'));
  const got = await receiveN(consumer, 6, 30_000);
  assert.deepEqual(
    got.map((m) => m.getProperties().index),
    ['0', '1', '2', '3', '4', '5'],
  );
  const entries = new Set(
    got.map((m) => `${m.getMessageId().ledgerId}:${m.getMessageId().entryId}`),
  );
  assert.ok(entries.size >= 2 && entries.size < 6, `${entries.size} entries`);
  assert.deepEqual(disconnects, []);
});
