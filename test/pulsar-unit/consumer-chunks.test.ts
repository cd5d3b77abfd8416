import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { answerConsumerSetup, FakeBroker, clientOf } from './fake-broker.js';

// A message split into chunks the way Pulsar's Java producer does it (uuid, chunk_id,
// num_chunks_from_msg, total_chunk_msg_size on every chunk), interleaved with a plain one.
// The standalone broker only chunks above its 5 MiB limit, so the chunks come from here.
test('chunks are reassembled into one message, acked together, and a lone chunk is reported', async (t) => {
  const whole = Buffer.from('0123456789abcdefghij');
  const parts = [whole.subarray(0, 8), whole.subarray(8, 16), whole.subarray(16)];
  const broker = await FakeBroker.start((cmd, conn) => {
    if (answerConsumerSetup(broker.url, cmd, conn)) return true;
    if (cmd.type === T.FLOW) {
      const consumerId = cmd.flow!.consumerId;
      const entry = (entryId: bigint, data: Buffer, chunk?: { uuid: string; chunkId: number }) =>
        encodePayloadFrame(
          { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 5n, entryId } } },
          {
            producerName: 'java',
            sequenceId: 0n,
            publishTime: 1n,
            properties: [{ key: 'k', value: 'v' }],
            ...(chunk && {
              uuid: chunk.uuid,
              chunkId: chunk.chunkId,
              numChunksFromMsg: 3,
              totalChunkMsgSize: whole.length,
            }),
          },
          data,
        );
      conn.socket.write(
        Buffer.concat([
          entry(0n, parts[0], { uuid: 'm1', chunkId: 0 }),
          entry(1n, Buffer.from('plain')),
          entry(2n, parts[1], { uuid: 'm1', chunkId: 1 }),
          entry(3n, parts[2], { uuid: 'm1', chunkId: 2 }),
          entry(4n, parts[1], { uuid: 'lost', chunkId: 1 }),
        ]),
      );
    } else return false;
    return true;
  });
  const client = clientOf(t, broker);
  const consumer = await client.subscribe({ topic: 'chunks', subscription: 's' });
  const discarded: string[] = [];
  consumer.on('discarded', (d: { id: { toString(): string }; reason: string }) =>
    discarded.push(`${d.id}:${d.reason}`),
  );
  const plain = await consumer.receive(5000);
  assert.equal(plain.getData().toString(), 'plain');
  const big = await consumer.receive(5000);
  assert.ok(big.getData().equals(whole));
  assert.deepEqual(big.getProperties(), { k: 'v' });
  assert.equal(big.getMessageId().toString(), '5:3:-1', 'the id of the last chunk');
  await assert.rejects(consumer.receive(200));
  assert.deepEqual(discarded, ['5:4:-1:IncompleteChunkedMessage']);
  await consumer.acknowledge(big);
  await new Promise((r) => setTimeout(r, 50));
  const acked = broker.of(T.ACK).map((c) => c.ack!.messageId.map((id) => String(id.entryId)));
  assert.deepEqual(acked, [['0', '2', '3']]);
});
