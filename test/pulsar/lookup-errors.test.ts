import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { clientFor } from './client-fixture.js';

const refusal =
  (result: string, ...words: string[]) =>
  (e: unknown) =>
    e instanceof PulsarClientError &&
    e.result === result &&
    words.every((w) => e.message.includes(w));

test('a topic missing from a namespace without auto-creation is named in the error', async (t) => {
  const env = await ensurePulsar();
  const ns = `public/tnf-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  for (const [method, path, body] of [
    ['PUT', `/admin/v2/namespaces/${ns}`, undefined],
    ['POST', `/admin/v2/namespaces/${ns}/autoTopicCreation`, { allowAutoTopicCreation: false }],
  ] as const) {
    const res = await fetch(env.adminUrl + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  }
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
