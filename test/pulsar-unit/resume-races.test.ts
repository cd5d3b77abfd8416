import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T, encodeSimpleFrame } from '../../src/pulsar/commands.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  FakeBroker,
  producerSuccess,
  clientOf,
  receiptFor,
} from './fake-broker.js';

// Races between a producer or consumer registering again after a lost connection and the
// connection (or the application) going away meanwhile.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A frame whose command does not decode: the client drops the connection on reading it. */
const UNDECODABLE = (() => {
  const cmd = Buffer.from([0xff, 0xff, 0xff]);
  const frame = Buffer.alloc(8);
  frame.writeUInt32BE(4 + cmd.length, 0);
  frame.writeUInt32BE(cmd.length, 4);
  return Buffer.concat([frame, cmd]);
})();

function dropConnections(broker: FakeBroker): void {
  for (const s of (broker as unknown as { sockets: Set<{ destroy(): void }> }).sockets) s.destroy();
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a producer whose connection drops right after its re-registration succeeded tries again', async (t) => {
  let connects = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.CONNECT) {
      connects++;
      return false;
    }
    if (cmd.type === T.PRODUCER) {
      const ok = encodeSimpleFrame(producerSuccess(cmd));
      // On the second connection the success and a frame that kills it come in one read.
      conn.socket.write(connects === 2 ? Buffer.concat([ok, UNDECODABLE]) : ok);
      return true;
    }
    if (cmd.type === T.SEND) {
      receiptFor(cmd, conn);
      return true;
    }
    return answerProducerSetup(cmd, conn) || answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const producer = await client.createProducer({ topic: 't', batchingEnabled: false });
  dropConnections(broker);
  await until('a third connection', () => connects >= 3 && producer.isConnected());
  const id = await producer.send({ data: Buffer.from('x') });
  assert.equal(id.entryId, 0n);
});

test('a consumer whose connection drops right after its re-subscription succeeded tries again', async (t) => {
  let connects = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.CONNECT) {
      connects++;
      return false;
    }
    if (cmd.type === T.SUBSCRIBE && connects === 2) {
      const ok = encodeSimpleFrame({
        type: T.SUCCESS,
        success: { requestId: cmd.subscribe!.requestId },
      });
      conn.socket.write(Buffer.concat([ok, UNDECODABLE]));
      return true;
    }
    return cmd.type === T.FLOW || answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const consumer = await client.subscribe({ topic: 't', subscription: 's' });
  await until('the first FLOW', () => broker.of(T.FLOW).length === 1);
  dropConnections(broker);
  await until('a third connection', () => connects >= 3 && consumer.isConnected());
  await sleep(50);
  assert.equal(broker.of(T.SUBSCRIBE).length, 3);
  assert.equal(broker.of(T.FLOW).length, 2, 'permits asked on the first and the live connection');
});

test('a consumer closed while it subscribes again is closed on the broker once that succeeds', async (t) => {
  let subscribes = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type === T.SUBSCRIBE && ++subscribes === 2) {
      const requestId = cmd.subscribe!.requestId;
      setTimeout(() => conn.send({ type: T.SUCCESS, success: { requestId } }), 300);
      return true;
    }
    return cmd.type === T.FLOW || answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
  const consumer = await client.subscribe({ topic: 't', subscription: 's' });
  dropConnections(broker);
  await until('the second SUBSCRIBE', () => subscribes === 2);
  await consumer.close();
  await until('CLOSE_CONSUMER', () => broker.of(T.CLOSE_CONSUMER).length > 0);
  assert.equal(broker.of(T.CLOSE_CONSUMER)[0].closeConsumer!.consumerId, 0n);
  const last = broker.received.at(-1)!;
  assert.equal(last.type, T.CLOSE_CONSUMER, 'nothing after it: no FLOW for a closed consumer');
});

test('a producer whose registration times out is closed on the broker', async (t) => {
  let producers = 0;
  const broker = await FakeBroker.start((cmd, conn) => {
    // The first registration succeeds; the one after the drop is never answered.
    if (cmd.type === T.PRODUCER && ++producers > 1) return true;
    return answerProducerSetup(cmd, conn) || answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker, { initialBackoffIntervalMs: 20, operationTimeoutMs: 200 });
  const producer = await client.createProducer({ topic: 't' });
  dropConnections(broker);
  await until('CLOSE_PRODUCER', () => broker.of(T.CLOSE_PRODUCER).length > 0);
  assert.equal(broker.of(T.CLOSE_PRODUCER)[0].closeProducer!.producerId, 0n);
  assert.equal(producer.isConnected(), false);
});

test('a producer whose creation times out is closed on the broker', async (t) => {
  const broker = await FakeBroker.start(
    (cmd, conn) => cmd.type === T.PRODUCER || answerConsumerSetup(broker.url, cmd, conn),
  );
  const client = clientOf(t, broker, { operationTimeoutMs: 200 });
  await assert.rejects(client.createProducer({ topic: 't' }), /Timeout/);
  await until('CLOSE_PRODUCER', () => broker.of(T.CLOSE_PRODUCER).length > 0);
  assert.equal(broker.of(T.CLOSE_PRODUCER)[0].closeProducer!.producerId, 0n);
});
