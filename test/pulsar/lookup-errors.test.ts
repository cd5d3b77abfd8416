import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar, freshNamespace } from '../helpers/pulsar.js';
import { clientFor } from './client-fixture.js';

const refusal =
  (result: string, ...words: string[]) =>
  (e: unknown) =>
    e instanceof PulsarClientError &&
    e.result === result &&
    words.every((w) => e.message.includes(w));

test('a topic missing from a namespace without auto-creation is named in the error', async (t) => {
  const env = await ensurePulsar();
  const ns = await freshNamespace(env.adminUrl, 'tnf', { allowAutoTopicCreation: false });
  const client = await clientFor(t);
  const topic = `persistent://${ns}/missing`;
  await assert.rejects(client.getPartitionCount(topic), refusal('TopicNotFound', topic));
  await assert.rejects(client.createProducer({ topic }), refusal('TopicNotFound', topic));
  await assert.rejects(
    client.subscribe({ topic, subscription: 's' }),
    refusal('TopicNotFound', topic),
  );
});

test('a namespace that does not exist is named in the error', async (t) => {
  const client = await clientFor(t);
  const ns = `public/no-such-ns-${Date.now()}`;
  const topic = `persistent://${ns}/t`;
  await assert.rejects(client.getPartitionCount(topic), refusal('TopicNotFound', ns, topic));
  await assert.rejects(client.createProducer({ topic }), refusal('TopicNotFound', ns, topic));
});
