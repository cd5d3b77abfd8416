import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ServerError } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { answerConsumerSetup, FakeBroker, clientOf } from './fake-broker.js';

type Conn = Parameters<Parameters<typeof FakeBroker.start>[0]>[1];

/** Delivers entry `entryId` of ledger 5 to the consumer, payload `m<entryId>`. */
function deliver(conn: Conn, consumerId: bigint, entryId: bigint): void {
  conn.socket.write(
    encodePayloadFrame(
      { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 5n, entryId } } },
      { producerName: 'p', sequenceId: entryId, publishTime: 1n },
      Buffer.from(`m${entryId}`),
    ),
  );
}

/** A consumer of the fake broker whose acks wait for the broker's receipt. */
function receiptConsumer(t: { after(fn: () => unknown): void }, broker: FakeBroker) {
  const client = clientOf(t, broker, { operationTimeoutMs: 2000 });
  return client.subscribe({ topic: 't', subscription: 's', ackReceiptEnabled: true });
}

test('with ackReceiptEnabled an ACK_RESPONSE carrying an error rejects the ack', async (t) => {
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.FLOW) {
      for (const entryId of [1n, 2n]) deliver(conn, cmd.flow!.consumerId, entryId);
      return true;
    }
    if (cmd.type === T.ACK) {
      const { consumerId, requestId } = cmd.ack!;
      // The first entry's ack is refused, the second's confirmed.
      const refused = cmd.ack!.messageId[0].entryId === 1n;
      conn.send({
        type: T.ACK_RESPONSE,
        ackResponse: refused
          ? { consumerId, requestId, error: ServerError.MetadataError, message: 'store down' }
          : { consumerId, requestId },
      });
      return true;
    }
    return answerConsumerSetup(broker.url, cmd, conn);
  });
  const consumer = await receiptConsumer(t, broker);
  const first = await consumer.receive(2000);
  const second = await consumer.receive(2000);
  await assert.rejects(
    consumer.acknowledge(first),
    (e: unknown) =>
      e instanceof PulsarClientError &&
      e.result === 'MetadataError' &&
      /store down/.test(e.message),
  );
  await consumer.acknowledge(second);
});

test('with ackReceiptEnabled an ack while disconnected rejects with NotConnected', async (t) => {
  let subscribes = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.SUBSCRIBE && ++subscribes > 1) return true; // never back
    if (cmd.type === T.FLOW) {
      const consumerId = cmd.flow!.consumerId;
      deliver(conn, consumerId, 1n);
      // Then the broker closes the consumer (a topic unload, say).
      conn.send({ type: T.CLOSE_CONSUMER, closeConsumer: { consumerId, requestId: 0n } });
      return true;
    }
    return answerConsumerSetup(broker.url, cmd, conn);
  });
  const consumer = await receiptConsumer(t, broker);
  const message = await consumer.receive(2000);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(consumer.isConnected(), false);
  await assert.rejects(
    consumer.acknowledge(message),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'NotConnected' && e.retriable,
  );
  assert.equal(broker.of(T.ACK).length, 0);
});
