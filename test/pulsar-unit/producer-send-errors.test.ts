import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBrokerError } from '../../src/broker/pulsar/errors.js';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ServerError, type BaseCommand } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  FakeBroker,
  type FakeConnection,
  clientOf,
  receiptFor,
} from './fake-broker.js';

/**
 * A broker whose first SEND of sequence id 0 gets `error`; every other SEND a receipt. A
 * consumer shares the producer's connection, to show who else a SEND_ERROR disturbs.
 */
async function setup(t: { after(fn: () => unknown): void }, error: ServerError) {
  let refused = 0;
  const broker = await FakeBroker.start((cmd: BaseCommand, conn: FakeConnection) => {
    if (cmd.type === T.SEND) {
      const { producerId, sequenceId } = cmd.send!;
      if (sequenceId === 0n && refused++ === 0) {
        conn.send({
          type: T.SEND_ERROR,
          sendError: { producerId, sequenceId, error, message: `refused: ${ServerError[error]}` },
        });
      } else {
        receiptFor(cmd, conn);
      }
      return true;
    }
    return (
      cmd.type === T.FLOW ||
      answerProducerSetup(cmd, conn) ||
      answerConsumerSetup(broker.url, cmd, conn)
    );
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const producer = await client.createProducer({
    topic: 't',
    batchingEnabled: false,
    sendTimeoutMs: 5000,
  });
  const bystander = await client.subscribe({ topic: 'other', subscription: 's' });
  const disturbed: string[] = [];
  bystander.on('disconnected', () => disturbed.push('consumer'));
  return { broker, producer, disturbed };
}

test('NotAllowedError fails only that send, with the broker error, and the connection stays up', async (t) => {
  const { broker, producer, disturbed } = await setup(t, ServerError.NotAllowedError);
  const started = Date.now();
  const err = await producer.send({ data: Buffer.from('too big') }).then(
    () => assert.fail('the send must fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PulsarClientError);
  assert.equal(err.result, 'NotAllowedError');
  assert.match(err.message, /refused: NotAllowedError/);
  assert.ok(Date.now() - started < 2000, 'failed at once, not at the send timeout');
  assert.equal(toBrokerError(err).code, 'NotAllowed');
  assert.ok(producer.isConnected());
  const next = await producer.send({ data: Buffer.from('fine') });
  assert.equal(next.entryId, 1n);
  assert.equal(broker.of(T.CONNECT).length, 1, 'no new connection');
  assert.equal(broker.of(T.PRODUCER).length, 1, 'the producer was not re-created');
  assert.deepEqual(disturbed, []);
});

test('a transient SEND_ERROR reconnects that producer alone and resends', async (t) => {
  const { broker, producer, disturbed } = await setup(t, ServerError.PersistenceError);
  const id = await producer.send({ data: Buffer.from('a') });
  assert.equal(id.entryId, 0n);
  assert.equal(broker.of(T.SEND).length, 2, 'sent again');
  assert.equal(broker.of(T.PRODUCER).length, 2, 'the producer registered again');
  assert.equal(broker.of(T.CONNECT).length, 1, 'on the same connection');
  assert.deepEqual(disturbed, [], 'the consumer sharing the connection was left alone');
});

test('a ChecksumError resends an intact frame on the same connection', async (t) => {
  const { broker, producer, disturbed } = await setup(t, ServerError.ChecksumError);
  const id = await producer.send({ data: Buffer.from('a') });
  assert.equal(id.entryId, 0n);
  assert.equal(broker.of(T.SEND).length, 2, 'sent again');
  assert.equal(broker.of(T.PRODUCER).length, 1);
  assert.equal(broker.of(T.CONNECT).length, 1);
  assert.deepEqual(disturbed, []);
});
