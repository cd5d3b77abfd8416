import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarBroker } from '../../src/broker/pulsar/broker.js';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import type { BaseCommand } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  clientOf,
  FakeBroker,
  type FakeConnection,
  receiptFor,
} from './fake-broker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > withinMs) assert.fail(`${what}: not within ${withinMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

/**
 * A broker that, while `frozen`, reads what it is sent and answers nothing, as a stopped
 * broker process whose TCP connection stays open (the kernel still accepts the bytes).
 */
async function freezable() {
  const state = { frozen: false };
  const broker = await FakeBroker.start((cmd: BaseCommand, conn: FakeConnection) => {
    if (state.frozen) return true;
    if (cmd.type === T.SEND) {
      receiptFor(cmd, conn);
      return true;
    }
    if (cmd.type === T.PARTITIONED_METADATA) {
      const { requestId } = cmd.partitionMetadata!;
      conn.send({
        type: T.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { requestId, partitions: 0 },
      });
      return true;
    }
    return (
      cmd.type === T.FLOW ||
      answerProducerSetup(cmd, conn) ||
      answerConsumerSetup(broker.url, cmd, conn)
    );
  });
  return { broker, state };
}

test('a send timeout on a frozen broker makes it unavailable at once, until it answers a PING', async (t) => {
  const { broker, state } = await freezable();
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const producer = await client.createProducer({
    topic: 't',
    batchingEnabled: false,
    sendTimeoutMs: 300,
  });
  const consumer = await client.subscribe({ topic: 'other', subscription: 's' });
  await producer.send({ data: Buffer.from('before') });
  assert.ok(producer.isConnected() && consumer.isConnected());

  state.frozen = true;
  const pingsBefore = broker.of(T.PING).length;
  const sent = Date.now();
  const err = await producer.send({ data: Buffer.from('lost in the freeze') }).then(
    () => assert.fail('a frozen broker sends no receipt'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PulsarClientError && err.result === 'Timeout');
  // The send timeout is checked every 75 ms here; the probe starts with it.
  await until('unavailable after the timeout', () => !producer.isConnected(), 1000);
  assert.ok(Date.now() - sent < 1500);
  assert.equal(consumer.isConnected(), false, 'the shared connection is suspect for all');
  const since = client.unansweredSince();
  assert.ok(since !== undefined && since >= sent, 'since when the broker is silent');
  await until('a PING probe at once', () => broker.of(T.PING).length > pingsBefore, 500);

  // Still frozen: probes keep going (about one a second) and it stays unavailable.
  await sleep(1300);
  assert.equal(producer.isConnected(), false);
  assert.ok(broker.of(T.PING).length >= pingsBefore + 2, 'probed again while silent');

  state.frozen = false;
  await until('available once a PING is answered', () => producer.isConnected(), 1500);
  assert.ok(consumer.isConnected());
  assert.equal(client.unansweredSince(), undefined);
  assert.equal(broker.of(T.CONNECT).length, 1, 'no reconnection: the connection was fine');
  assert.equal(broker.of(T.PRODUCER).length, 1, 'the producer was not re-created');
  const id = await producer.send({ data: Buffer.from('after') });
  assert.ok(id.entryId >= 1n);
});

test('a request timeout makes the Broker adapter report the broker as not answering', async (t) => {
  const { broker, state } = await freezable();
  const adapter = await PulsarBroker.connect({
    serviceUrl: broker.url,
    adminUrl: 'http://127.0.0.1:9', // unused here
    client: { operationTimeoutMs: 300 },
  });
  t.after(() => broker.stop());
  t.after(() => adapter.close());
  assert.equal(adapter.isConnected(), true);

  state.frozen = true;
  const started = Date.now();
  await assert.rejects(adapter.createProducer({ topic: 'slow' }), /Timeout|no response/i);
  await until('unavailable after the request timeout', () => !adapter.isConnected(), 1000);
  assert.ok(Date.now() - started < 1500);
  assert.match(adapter.notConnectedReason() ?? '', /^broker not answering since \d{4}-/);

  state.frozen = false;
  await until('available again once it answers', () => adapter.isConnected(), 1500);
  assert.equal(adapter.notConnectedReason(), undefined);
  assert.equal(broker.of(T.CONNECT).length, 1, 'no reconnection');
});
