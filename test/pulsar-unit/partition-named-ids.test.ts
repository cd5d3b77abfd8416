// A partition named directly (`t-partition-2`) through the partitioned helpers, as the CLI
// opens any topic: the message ids carry the partition's index, as with client.subscribe and
// client.createProducer, so they name the partition they came from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T, encodePayloadFrame } from '../../src/pulsar/commands.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { createTopicProducer } from '../../src/pulsar/partitioned-producer.js';
import {
  answerConsumerSetup,
  answerProducerSetup,
  clientOf,
  FakeBroker,
  receiptFor,
} from './fake-broker.js';

const PARTITION = 'persistent://public/default/t-partition-2';

test('a partition named directly gives ids with its index, received and sent', async (t) => {
  let delivered = false;
  const broker = await FakeBroker.start((cmd, conn) => {
    if (answerConsumerSetup(broker.url, cmd, conn) || answerProducerSetup(cmd, conn)) return true;
    if (cmd.type === T.SEND) {
      receiptFor(cmd, conn);
      return true;
    }
    if (cmd.type !== T.FLOW || delivered) return false;
    delivered = true;
    conn.socket.write(
      encodePayloadFrame(
        {
          type: T.MESSAGE,
          message: { consumerId: cmd.flow!.consumerId, messageId: { ledgerId: 7n, entryId: 3n } },
        },
        { producerName: 'fake', sequenceId: 0n, publishTime: 1n },
        Buffer.from('hello'),
      ),
    );
    return true;
  });
  const client = clientOf(t, broker);

  const consumer = await PartitionedConsumer.subscribe(client, [PARTITION], { subscription: 's' });
  t.after(() => consumer.close());
  const message = await consumer.receive(5000);
  assert.equal(message.getMessageId().toString(), '7:3:2');

  const producer = await createTopicProducer(client, { topic: PARTITION, batchingEnabled: false });
  t.after(() => producer.close());
  const id = await producer.send({ data: Buffer.from('x') });
  assert.equal(id.partition, 2);
});
