// A command that decodes but lacks its body (a flipped bit in a field tag gives exactly that)
// closes the connection with ProtocolError: the request fails, the process stays up.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';
import { answerConsumerSetup, FakeBroker } from './fake-broker.js';

async function started(t: TestContext, handler: Parameters<typeof FakeBroker.start>[0]) {
  const b = await FakeBroker.start(handler);
  t.after(() => b.stop());
  return b;
}

function clientOf(t: TestContext, url: string): PulsarClient {
  const client = new PulsarClient({ serviceUrl: url, operationTimeoutMs: 3000 });
  t.after(() => client.close());
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<PulsarClientError> {
  const err = await promise.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PulsarClientError, String(err));
  return err;
}

/** An answer of this type with no body: the bytes of BaseCommand{type} alone. */
function bodiless(type: T): Buffer {
  const command = Buffer.from([0x08, type]);
  const frame = Buffer.alloc(8);
  frame.writeUInt32BE(4 + command.length, 0);
  frame.writeUInt32BE(command.length, 4);
  return Buffer.concat([frame, command]);
}

/**
 * A MESSAGE frame with a payload whose command lacks the required message id (the encoder
 * refuses to write one): a valid frame with its command swapped for hand-written bytes.
 */
function messageWithoutId(consumerId: bigint): Buffer {
  const valid = encodePayloadFrame(
    { type: T.MESSAGE, message: { consumerId, messageId: { ledgerId: 1n, entryId: 0n } } },
    { producerName: 'fake', sequenceId: 0n, publishTime: 1n },
    Buffer.from('no id'),
  );
  const rest = valid.subarray(8 + valid.readUInt32BE(4));
  // BaseCommand { type: MESSAGE (9), message (field 9) { consumer_id (field 1) } }
  const command = Buffer.from([0x08, T.MESSAGE, 0x4a, 0x02, 0x08, Number(consumerId)]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(4 + command.length + rest.length, 0);
  head.writeUInt32BE(command.length, 4);
  return Buffer.concat([head, command, rest]);
}

for (const [asked, answer] of [
  [T.PARTITIONED_METADATA, T.PARTITIONED_METADATA_RESPONSE],
  [T.PARTITIONED_METADATA, T.SUCCESS],
  [T.PARTITIONED_METADATA, T.ERROR],
  [T.LOOKUP, T.LOOKUP_RESPONSE],
] as const) {
  test(`${T[answer]} without its body fails the request, not the process`, async (t) => {
    const broker = await started(t, (cmd, conn) => {
      if (cmd.type !== asked) return false;
      conn.socket.write(bodiless(answer));
      return true;
    });
    const client = clientOf(t, broker.url);
    const err = await refusal(client.createProducer({ topic: 'persistent://public/default/t' }));
    assert.equal(err.result, 'ProtocolError');
    assert.match(err.message, new RegExp(`${T[answer]} without its`));
  });
}

test('a MESSAGE without its body or its id closes the connection; the process stays up', async (t) => {
  for (const corrupt of ['body', 'id'] as const) {
    let sent = false;
    const broker = await started(t, (cmd, conn) => {
      if (answerConsumerSetup(broker.url, cmd, conn)) return true;
      if (cmd.type !== T.FLOW || sent) return false;
      sent = true;
      if (corrupt === 'body') conn.socket.write(bodiless(T.MESSAGE));
      else conn.socket.write(messageWithoutId(cmd.flow!.consumerId));
      return true;
    });
    const client = clientOf(t, broker.url);
    const consumer = await client.subscribe({
      topic: 'persistent://public/default/t',
      subscription: 's',
    });
    const closed = new Promise<unknown>((resolve) => consumer.once('disconnected', resolve));
    const err = (await closed) as PulsarClientError;
    assert.equal(err.result, 'ProtocolError', corrupt);
    assert.match(
      err.message,
      corrupt === 'body' ? /MESSAGE without its message$/ : /MESSAGE without its message id$/,
    );
    await consumer.close();
  }
});
