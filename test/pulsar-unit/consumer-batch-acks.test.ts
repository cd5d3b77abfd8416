import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatchPayload } from '../../src/pulsar/batch-container.js';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { answerConsumerSetup, FakeBroker, type FakeConnection, clientOf } from './fake-broker.js';

/** Writes entry 7:1, a batch of a, b, c, to `consumerId`. */
function deliverBatch(conn: FakeConnection, consumerId: bigint): void {
  const items = ['a', 'b', 'c'].map((x) => ({
    message: { data: Buffer.from(x) },
    resolve: () => undefined,
    reject: () => undefined,
  }));
  conn.socket.write(
    encodePayloadFrame(
      { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 7n, entryId: 1n } } },
      { producerName: 'p', sequenceId: 0n, publishTime: BigInt(Date.now()), numMessagesInBatch: 3 },
      encodeBatchPayload({ items, bytes: 3 }, 0n),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(t: { after(fn: () => unknown): void }, deliverOnFlows: number[]) {
  let flows = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.FLOW) {
      if (deliverOnFlows.includes(++flows)) deliverBatch(conn, cmd.flow!.consumerId);
      return true;
    }
    if (cmd.type === T.REDELIVER_UNACKNOWLEDGED_MESSAGES) {
      deliverBatch(conn, cmd.redeliverUnacknowledgedMessages!.consumerId);
      return true;
    }
    return cmd.type === T.ACK || answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const consumer = await client.subscribe({
    topic: 't',
    subscription: 's',
    subscriptionType: 'Shared',
    nAckRedeliverTimeoutMs: 30,
  });
  return { broker, consumer };
}

test('after a reconnection, acking a message held from a batch does not ack its entry', async (t) => {
  const { broker, consumer } = await setup(t, [1]);
  const a = await consumer.receive(2000);
  assert.equal(a.getData().toString(), 'a'); // b and c wait in the receiver queue
  const back = new Promise((r) => consumer.once('reconnected', r));
  for (const s of (broker as unknown as { sockets: Set<{ destroy(): void }> }).sockets) s.destroy();
  await back;
  await consumer.acknowledge(a);
  await sleep(100);
  assert.deepEqual(broker.of(T.ACK), [], 'b and c were never processed: 7:1 must stay unacked');
});

test('after a nack, acking the other messages of the batch does not ack its entry', async (t) => {
  const { broker, consumer } = await setup(t, [1]);
  const [a, b, c] = [
    await consumer.receive(2000),
    await consumer.receive(2000),
    await consumer.receive(2000),
  ];
  consumer.negativeAcknowledge(a);
  const deadline = Date.now() + 2000;
  while (broker.of(T.REDELIVER_UNACKNOWLEDGED_MESSAGES).length === 0 && Date.now() < deadline)
    await sleep(10);
  assert.equal(broker.of(T.REDELIVER_UNACKNOWLEDGED_MESSAGES).length, 1);
  await consumer.acknowledge(b);
  await consumer.acknowledge(c);
  await sleep(100);
  assert.deepEqual(broker.of(T.ACK), [], 'a is due again: 7:1 must stay unacked');
  for (let i = 0; i < 3; i++) await consumer.acknowledge(await consumer.receive(2000));
  await sleep(100);
  const acks = broker
    .of(T.ACK)
    .map((cmd) => cmd.ack!.messageId.map((id) => `${id.ledgerId}:${id.entryId}`));
  assert.deepEqual(acks, [['7:1']], 'the redelivered copy, acked whole, acks the entry');
});
