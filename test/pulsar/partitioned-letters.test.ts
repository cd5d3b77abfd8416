// Retry and dead-letter topics that are partitioned (an operator made them so, or the broker
// creates topics partitioned): letters go to their partitions, where the consumer reads them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { deadLetterTopicName, retryTopicName, RETRY_PROPERTIES } from '../../src/broker/index.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

test(
  'a retry to a partitioned retry topic comes back; a dead letter lands in a partitioned DLQ',
  { timeout: 300_000 },
  async (t) => {
    const env = await ensurePulsar();
    const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
    const topic = freshTopic('letters');
    for (const name of [topic, retryTopicName(topic, 's'), deadLetterTopicName(topic, 's')])
      await admin.createPartitionedTopic(name, 2);
    const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
    t.after(() => broker.close());
    const consumer = await broker.subscribe({
      topic,
      subscription: 's',
      subscriptionType: 'Shared',
      retryEnable: true,
      subscriptionInitialPosition: 'Earliest',
      deadLetterPolicy: { maxRedeliverCount: 1, deadLetterTopic: deadLetterTopicName(topic, 's') },
    });
    const producer = await broker.createProducer({ topic });
    await producer.send({ data: Buffer.from('x'), partitionKey: 'k' });
    const first = await consumer.receive(20_000);
    await consumer.reconsumeLater(first, 100);
    const again = await consumer.receive(20_000);
    assert.equal(again.getData().toString(), 'x');
    assert.equal(again.getProperties()[RETRY_PROPERTIES.reconsumeTimes], '1');
    // Past maxRedeliverCount the next reconsume is a dead letter.
    await consumer.reconsumeLater(again, 100);
    const client = new PulsarClient({ serviceUrl: env.serviceUrl });
    t.after(() => client.close());
    const reader = await PartitionedConsumer.subscribe(client, [deadLetterTopicName(topic, 's')], {
      subscription: 'check',
      subscriptionInitialPosition: 'Earliest',
    });
    const letter = await reader.receive(20_000);
    assert.equal(letter.getData().toString(), 'x');
  },
);
