import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { clientFor } from './client-fixture.js';

test('on a namespace auto-creating partitioned topics, createProducer on a new topic says why it is refused', async (t) => {
  const env = await ensurePulsar();
  const ns = `public/auto-part-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  for (const [method, path, body] of [
    ['PUT', `/admin/v2/namespaces/${ns}`, undefined],
    [
      'POST',
      `/admin/v2/namespaces/${ns}/autoTopicCreation`,
      { allowAutoTopicCreation: true, topicType: 'partitioned', defaultNumPartitions: 2 },
    ],
  ] as const) {
    const res = await fetch(env.adminUrl + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  }
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
