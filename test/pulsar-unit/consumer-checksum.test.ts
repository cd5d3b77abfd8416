import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import {
  BaseCommand_Type as T,
  decodeCommand,
  encodePayloadFrame,
  encodeSimpleFrame,
} from '../../src/pulsar/commands.js';
import { FrameDecoder } from '../../src/pulsar/frame-decoder.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import {
  CommandAck_ValidationError,
  CommandLookupTopicResponse_LookupType,
  type BaseCommand,
} from '../../src/pulsar/proto/generated/PulsarApi_pb.js';

/**
 * A broker that no real Pulsar can imitate: it answers the handshake, lookup and subscribe
 * over a real socket, then delivers one MESSAGE whose checksum is wrong and one that is fine.
 */
function corruptingBroker(received: BaseCommand[]): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const cmd = decodeCommand(frame.command);
        received.push(cmd);
        if (cmd.type === T.CONNECT) {
          socket.write(
            encodeSimpleFrame({
              type: T.CONNECTED,
              connected: { serverVersion: 'fake', protocolVersion: 21 },
            }),
          );
        } else if (cmd.type === T.LOOKUP) {
          const { port } = server.address() as net.AddressInfo;
          socket.write(
            encodeSimpleFrame({
              type: T.LOOKUP_RESPONSE,
              lookupTopicResponse: {
                requestId: cmd.lookupTopic!.requestId,
                response: CommandLookupTopicResponse_LookupType.Connect,
                brokerServiceUrl: `pulsar://127.0.0.1:${port}`,
                authoritative: true,
              },
            }),
          );
        } else if (cmd.type === T.SUBSCRIBE) {
          socket.write(
            encodeSimpleFrame({
              type: T.SUCCESS,
              success: { requestId: cmd.subscribe!.requestId },
            }),
          );
        } else if (cmd.type === T.FLOW) {
          const consumerId = cmd.flow!.consumerId;
          const message = (entryId: bigint, data: string) =>
            encodePayloadFrame(
              { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 1n, entryId } } },
              { producerName: 'fake', sequenceId: entryId, publishTime: 1n },
              Buffer.from(data),
            );
          const bad = message(0n, 'corrupted');
          bad[bad.length - 1] ^= 0x01; // flip a payload bit after the checksum was computed
          socket.write(Buffer.concat([bad, message(1n, 'intact')]));
        } else if (cmd.type === T.CLOSE_CONSUMER) {
          socket.write(
            encodeSimpleFrame({
              type: T.SUCCESS,
              success: { requestId: cmd.closeConsumer!.requestId },
            }),
          );
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('a message with a bad checksum is reported and acked as ChecksumMismatch, never delivered', async (t) => {
  const received: BaseCommand[] = [];
  const server = await corruptingBroker(received);
  const { port } = server.address() as net.AddressInfo;
  const client = new PulsarClient({ serviceUrl: `pulsar://127.0.0.1:${port}` });
  // Hooks run in order: the client lets go of its socket before the server waits for it.
  t.after(() => client.close());
  t.after(() => new Promise<void>((r) => server.close(() => r())));
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
  const acks = received.filter((c) => c.type === T.ACK).map((c) => c.ack!);
  assert.equal(acks.length, 1);
  assert.equal(acks[0].validationError, CommandAck_ValidationError.ChecksumMismatch);
  assert.deepEqual(
    acks[0].messageId.map((id) => `${id.ledgerId}:${id.entryId}`),
    ['1:0'],
  );
});
