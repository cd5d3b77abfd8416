import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClientError, type ProducerOptions } from '../../src/pulsar/index.js';
import {
  CompressionType as WireCompression,
  type BaseCommand,
  MessageMetadataSchema,
} from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import type { Frame } from '../../src/pulsar/frame-decoder.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  clientOf,
  FakeBroker,
  receiptFor,
  type FakeConnection,
} from './fake-broker.js';

/** Answers PARTITIONED_METADATA: a non-partitioned topic. Returns true when it answered. */
function answerNotPartitioned(cmd: BaseCommand, conn: FakeConnection): boolean {
  if (cmd.type !== T.PARTITIONED_METADATA) return false;
  conn.send({
    type: T.PARTITIONED_METADATA_RESPONSE,
    partitionMetadataResponse: { requestId: cmd.partitionMetadata!.requestId, partitions: 0 },
  });
  return true;
}

/** Stores every message; `onSend` sees each SEND frame first. */
async function storingBroker(
  onSend: (frame: Frame) => void = () => undefined,
): Promise<FakeBroker> {
  const broker: FakeBroker = await FakeBroker.start((cmd, conn, frame) => {
    if (cmd.type === T.SEND) {
      onSend(frame);
      receiptFor(cmd, conn);
      return true;
    }
    return (
      answerNotPartitioned(cmd, conn) ||
      answerProducerSetup(cmd, conn) ||
      answerConsumerSetup(broker.url, cmd, conn)
    );
  });
  return broker;
}

function isConfigError(...words: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof PulsarClientError, `not a PulsarClientError: ${String(e)}`);
    assert.equal(e.result, 'InvalidConfiguration');
    for (const w of words) assert.ok(e.message.includes(w), `"${e.message}" lacks "${w}"`);
    return true;
  };
}

const badProducerOptions: Array<[Partial<ProducerOptions>, string[]]> = [
  [{ compressionType: 'gzip' as never }, ['compressionType', '"gzip"', 'NONE, LZ4, ZLIB, SNAPPY']],
  [{ compressionType: 'ZSTD' }, ['compressionType', 'ZSTD', 'never encoded']],
  [{ compressionType: 'zstd' as never }, ['compressionType', 'zstd']],
  [
    { batchingType: 'KEY_BASED' as never },
    ['batchingType', "'DefaultBatching', 'KeyBasedBatching'"],
  ],
  [{ sendTimeoutMs: -1 }, ['sendTimeoutMs', '>= 0']],
  [{ maxPendingMessages: 0 }, ['maxPendingMessages']],
  [{ batchingEnabled: 'yes' as never }, ['batchingEnabled', 'true or false']],
];

for (const [options, words] of badProducerOptions) {
  test(`createProducer refuses ${JSON.stringify(options)} with InvalidConfiguration`, async (t) => {
    const broker = await storingBroker();
    const client = clientOf(t, broker);
    await assert.rejects(
      client.createProducer({ topic: 't', ...options }),
      isConfigError(...words),
    );
    // Refused before the broker hears of the producer (and auto-creates its topic).
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(broker.of(T.PRODUCER).length, 0);
    assert.equal(broker.of(T.SEND).length, 0);
  });
}

for (const [spelling, wire] of [
  ['Zlib', WireCompression.ZLIB],
  ['lz4', WireCompression.LZ4],
  ['Snappy', WireCompression.SNAPPY],
  ['none', WireCompression.NONE],
] as const) {
  test(`compressionType '${spelling}' is accepted and sent as ${WireCompression[wire]}`, async (t) => {
    const metadata: Buffer[] = [];
    const broker = await storingBroker((frame) => metadata.push(frame.payload!.metadata));
    const client = clientOf(t, broker);
    const producer = await client.createProducer({
      topic: 't',
      compressionType: spelling as ProducerOptions['compressionType'],
    });
    await producer.send({ data: Buffer.from('x'.repeat(100)) });
    assert.equal(fromBinary(MessageMetadataSchema, metadata[0]).compression, wire);
  });
}

for (const [subscriptionType, words] of [
  ['Key_Shared', ['subscriptionType', '"Key_Shared"', "'KeyShared'"]],
  ['shared', ['subscriptionType', "'Shared'"]],
] as const) {
  test(`subscribe refuses subscriptionType '${subscriptionType}' before sending SUBSCRIBE`, async (t) => {
    const broker = await storingBroker();
    const client = clientOf(t, broker);
    await assert.rejects(
      client.subscribe({
        topic: 't',
        subscription: 's',
        subscriptionType: subscriptionType as never,
      }),
      isConfigError(...words),
    );
    assert.equal(broker.of(T.SUBSCRIBE).length, 0);
  });
}

test('subscribe refuses a bad initial position and a negative receiver queue', async (t) => {
  const broker = await storingBroker();
  const client = clientOf(t, broker);
  await assert.rejects(
    client.subscribe({
      topic: 't',
      subscription: 's',
      subscriptionInitialPosition: 'earliest' as never,
    }),
    isConfigError('subscriptionInitialPosition', "'Latest', 'Earliest'"),
  );
  await assert.rejects(
    client.subscribe({ topic: 't', subscription: 's', receiverQueueSize: -5 }),
    isConfigError('receiverQueueSize'),
  );
  assert.equal(broker.of(T.SUBSCRIBE).length, 0);
});
