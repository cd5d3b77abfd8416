import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary, isFieldSet } from '@bufbuild/protobuf';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import type { Frame } from '../../src/pulsar/frame-decoder.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import type { BatchingType } from '../../src/pulsar/options.js';
import { MessageMetadataSchema } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  clientOf,
  FakeBroker,
  receiptFor,
} from './fake-broker.js';

const MAX = 2000;

interface Stored {
  /** Metadata + payload bytes of the entry: what the broker holds against its limit. */
  size: number;
  numMessagesInBatch: number | undefined;
}

/** A broker whose CONNECTED says maxMessageSize = MAX; it stores every SEND it gets. */
async function smallBroker(t: { after(fn: () => unknown): void }) {
  const stored: Stored[] = [];
  const broker: FakeBroker = await FakeBroker.start((cmd, conn, frame: Frame) => {
    if (cmd.type === T.CONNECT) {
      conn.send({
        type: T.CONNECTED,
        connected: { serverVersion: 'fake', protocolVersion: 21, maxMessageSize: MAX },
      });
      return true;
    }
    if (cmd.type === T.PARTITIONED_METADATA) {
      conn.send({
        type: T.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { requestId: cmd.partitionMetadata!.requestId, partitions: 0 },
      });
      return true;
    }
    if (cmd.type === T.SEND) {
      const { metadata, payload } = frame.payload!;
      const meta = fromBinary(MessageMetadataSchema, metadata);
      stored.push({
        size: metadata.length + payload.length,
        numMessagesInBatch: isFieldSet(meta, MessageMetadataSchema.field.numMessagesInBatch)
          ? meta.numMessagesInBatch
          : undefined,
      });
      receiptFor(cmd, conn);
      return true;
    }
    return answerProducerSetup(cmd, conn) || answerConsumerSetup(broker.url, cmd, conn);
  });
  return { client: clientOf(t, broker), stored };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'stored',
    (e: unknown) => (e instanceof PulsarClientError ? e.result : String(e)),
  );

for (const batchingEnabled of [true, false]) {
  test(`a message whose metadata takes it over the limit is refused at once (batching ${batchingEnabled})`, async (t) => {
    const { client, stored } = await smallBroker(t);
    const producer = await client.createProducer({ topic: 't', batchingEnabled });
    // The payload alone fits; with its properties it does not.
    const big = producer.send({ data: Buffer.alloc(MAX - 50), properties: { p: 'x'.repeat(100) } });
    let settled = false;
    void big.catch(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(settled, true, 'refused before any round trip');
    assert.equal(await outcome(big), 'MessageTooBig');
    await assert.rejects(big, /exceeds the broker's limit of 2000 bytes/);
    // The producer goes on; nothing too big ever reached the broker.
    assert.equal(await outcome(producer.send({ data: Buffer.from('small') })), 'stored');
    assert.equal(stored.length, 1);
  });
}

test('a message too big for a batch but not for the broker is sent alone', async (t) => {
  const { client, stored } = await smallBroker(t);
  const producer = await client.createProducer({ topic: 't', batchingMaxPublishDelayMs: 50 });
  const sends = [
    producer.send({ data: Buffer.from('before') }),
    producer.send({ data: Buffer.alloc(MAX - 40) }),
    producer.send({ data: Buffer.from('after') }),
  ];
  assert.deepEqual(await Promise.all(sends.map(outcome)), ['stored', 'stored', 'stored']);
  assert.deepEqual(
    stored.map((s) => s.numMessagesInBatch),
    [1, undefined, 1],
    'the batch before it leaves first, the big one alone, then the next batch',
  );
  for (const s of stored) assert.ok(s.size <= MAX, `entry of ${s.size} bytes`);
});

for (const batchingType of ['DefaultBatching', 'KeyBasedBatching'] as BatchingType[]) {
  test(`${batchingType}: batching never builds an entry over the broker's limit`, async (t) => {
    const { client, stored } = await smallBroker(t);
    const producer = await client.createProducer({
      topic: 't',
      batchingType,
      batchingMaxBytes: 1 << 20,
      batchingMaxPublishDelayMs: 50,
    });
    const sends = Array.from({ length: 12 }, (_, i) =>
      producer.send({
        data: Buffer.alloc(300, i),
        partitionKey: 'k',
        properties: { note: 'n'.repeat(60) },
      }),
    );
    assert.deepEqual(await Promise.all(sends.map(outcome)), Array(12).fill('stored'));
    assert.ok(stored.length >= 3, `${stored.length} entries`);
    for (const s of stored) assert.ok(s.size <= MAX, `entry of ${s.size} bytes`);
    assert.equal(
      stored.reduce((n, s) => n + (s.numMessagesInBatch ?? 1), 0),
      12,
    );
  });
}
