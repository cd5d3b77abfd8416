import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar, freshNamespace } from '../helpers/pulsar.js';
import { clientFor } from './client-fixture.js';

test('on a namespace auto-creating partitioned topics, createProducer on a new topic says why it is refused', async (t) => {
  const env = await ensurePulsar();
  const ns = await freshNamespace(env.adminUrl, 'auto-part', {
    allowAutoTopicCreation: true,
    topicType: 'partitioned',
    defaultNumPartitions: 2,
  });
  const client = await clientFor(t);
  const topic = `persistent://${ns}/new`;
  await assert.rejects(
    client.createProducer({ topic }),
    (e: unknown) =>
      e instanceof PulsarClientError &&
      e.result === 'InvalidConfiguration' &&
      e.message.includes('PartitionedProducer.create()') &&
      e.message.includes('auto-creates topics as partitioned'),
  );
  // The look-up made it partitioned: the partitioned producer is the way to it.
  assert.equal(await client.getPartitionCount(topic), 2);
  const producer = await PartitionedProducer.create(client, { topic }, 2);
  await producer.send({ data: Buffer.from('x') });
  await producer.close();
});
