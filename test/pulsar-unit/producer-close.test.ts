import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ServerError } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { answerConsumerSetup, answerProducerSetup, FakeBroker, clientOf } from './fake-broker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const how of ['the connection drops', 'the broker closes the producer'] as const) {
  test(`close() waiting for receipts returns when ${how}, failing the unconfirmed sends`, async (t) => {
    const broker = await FakeBroker.start((cmd, conn) => {
      if (cmd.type === T.SEND) {
        // No receipt; in the second case the broker closes the producer once close() waits.
        const producerId = cmd.send!.producerId;
        if (how === 'the broker closes the producer') {
          setTimeout(
            () =>
              conn.send({ type: T.CLOSE_PRODUCER, closeProducer: { producerId, requestId: 99n } }),
            100,
          );
        }
        return true;
      }
      return answerProducerSetup(cmd, conn) || answerConsumerSetup(broker.url, cmd, conn);
    });
    const client = clientOf(t, broker, { operationTimeoutMs: 2000 });
    const producer = await client.createProducer({
      topic: 't',
      batchingEnabled: false,
      sendTimeoutMs: 0, // only close() can end the wait
    });
    const sent = producer.send({ data: Buffer.from('x') }).then(
      () => 'resolved',
      (e: unknown) => (e instanceof PulsarClientError ? e.result : String(e)),
    );
    await sleep(50);
    const closing = producer.close().then(() => 'closed');
    await sleep(50);
    if (how === 'the connection drops') {
      for (const s of (broker as unknown as { sockets: Set<{ destroy(): void }> }).sockets)
        s.destroy();
    }
    const outcome = await Promise.race([closing, sleep(2000).then(() => 'still pending')]);
    assert.equal(outcome, 'closed');
    assert.equal(await sent, 'AlreadyClosed');
  });
}

for (const [error, expected] of [
  [ServerError.NotAllowedError, 'NotAllowedError'],
  [ServerError.TopicTerminatedError, 'TopicTerminatedError'],
  [ServerError.PersistenceError, 'AlreadyClosed'],
] as const) {
  test(`a ${ServerError[error]} SEND_ERROR arriving while close() waits ends the wait (send: ${expected})`, async (t) => {
    const broker = await FakeBroker.start((cmd, conn) => {
      if (cmd.type === T.SEND) {
        // The refusal comes once close() already waits for the receipt.
        const { producerId, sequenceId } = cmd.send!;
        setTimeout(
          () =>
            conn.send({
              type: T.SEND_ERROR,
              sendError: { producerId, sequenceId, error, message: 'refused' },
            }),
          100,
        );
        return true;
      }
      return answerProducerSetup(cmd, conn) || answerConsumerSetup(broker.url, cmd, conn);
    });
    const client = clientOf(t, broker, { initialBackoffIntervalMs: 20 });
    const producer = await client.createProducer({
      topic: 't',
      batchingEnabled: false,
      sendTimeoutMs: 0, // only the SEND_ERROR can end the wait
    });
    const sent = producer.send({ data: Buffer.from('x') }).then(
      () => 'resolved',
      (e: unknown) => (e instanceof PulsarClientError ? e.result : String(e)),
    );
    const closing = producer.close().then(() => 'closed');
    const outcome = await Promise.race([closing, sleep(2000).then(() => 'still pending')]);
    assert.equal(outcome, 'closed');
    assert.equal(await sent, expected);
    assert.equal(broker.of(T.CLOSE_PRODUCER).length, 1, 'closed on the broker');
    assert.equal(broker.of(T.PRODUCER).length, 1, 'not registered again');
  });
}
