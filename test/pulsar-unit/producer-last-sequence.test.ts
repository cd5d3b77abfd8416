import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import type { BaseCommand } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import {
  answerConsumerSetup,
  clientOf,
  FakeBroker,
  producerSuccess,
  receiptFor,
  type FakeConnection,
} from './fake-broker.js';

test('getLastSequenceId counts only sends the broker acknowledged', async (t) => {
  const held: Array<() => void> = [];
  const broker: FakeBroker = await FakeBroker.start((cmd: BaseCommand, conn: FakeConnection) => {
    if (cmd.type === T.PRODUCER) {
      // The broker already stored up to sequence id 41 from a producer of this name.
      conn.send(producerSuccess(cmd, 'writer', 41n));
      return true;
    }
    if (cmd.type === T.SEND) {
      held.push(() => receiptFor(cmd, conn));
      return true;
    }
    if (cmd.type === T.CLOSE_PRODUCER) {
      conn.send({ type: T.SUCCESS, success: { requestId: cmd.closeProducer!.requestId } });
      return true;
    }
    return answerConsumerSetup(broker.url, cmd, conn);
  });
  const client = clientOf(t, broker);
  const producer = await client.createProducer({ topic: 't', batchingEnabled: false });
  assert.equal(producer.getLastSequenceId(), 41n);
  const sends = [0, 1].map((i) => producer.send({ data: Buffer.from(String(i)) }));
  while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(producer.getLastSequenceId(), 41n, 'no receipt yet');
  held.shift()!();
  await sends[0];
  assert.equal(producer.getLastSequenceId(), 42n);
  held.shift()!();
  await sends[1];
  assert.equal(producer.getLastSequenceId(), 43n);
});
