import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { CommandAck_ValidationError } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { answerConsumerSetup, FakeBroker, clientOf } from './fake-broker.js';

// No real Pulsar sends a corrupt frame on demand: this broker delivers one MESSAGE whose
// checksum is wrong and one that is fine.
test('a message with a bad checksum is reported and acked as ChecksumMismatch, never delivered', async (t) => {
  const broker = await FakeBroker.start((cmd, conn) => {
    if (answerConsumerSetup(broker.url, cmd, conn)) return true;
    if (cmd.type === T.FLOW) {
      const consumerId = cmd.flow!.consumerId;
      const message = (entryId: bigint, data: string) =>
        encodePayloadFrame(
          { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 1n, entryId } } },
          { producerName: 'fake', sequenceId: entryId, publishTime: 1n },
          Buffer.from(data),
        );
      const bad = message(0n, 'corrupted');
      bad[bad.length - 1] ^= 0x01; // flip a payload bit after the checksum was computed
      conn.socket.write(Buffer.concat([bad, message(1n, 'intact')]));
    } else return false;
    return true;
  });
  const client = clientOf(t, broker);
  const consumer = await client.subscribe({ topic: 'checksum', subscription: 's' });
  const discarded: string[] = [];
  consumer.on('discarded', (d: { id: { toString(): string }; reason: string }) =>
    discarded.push(`${d.id}:${d.reason}`),
  );
  const m = await consumer.receive(5000);
  assert.equal(m.getData().toString(), 'intact');
  assert.equal(m.getMessageId().toString(), '1:1:-1');
  await assert.rejects(consumer.receive(200));
  assert.deepEqual(discarded, ['1:0:-1:ChecksumMismatch']);
  const acks = broker.of(T.ACK).map((c) => c.ack!);
  assert.equal(acks.length, 1);
  assert.equal(acks[0].validationError, CommandAck_ValidationError.ChecksumMismatch);
  assert.deepEqual(
    acks[0].messageId.map((id) => `${id.ledgerId}:${id.entryId}`),
    ['1:0'],
  );
});
