import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quickBroker, quickClient, quickBrokerWithPool } from './quick-reconnect.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { adminCall, ensurePulsar, freshNamespace, freshTopic } from '../helpers/pulsar.js';

import {
  ConsumerRunner,
  defineConsumer,
  retainingDeadLetterSink,
} from '../../src/messaging/index.js';

const isResult = (result: string) => (e: unknown) =>
  e instanceof PulsarClientError && e.result === result;

/** A namespace without topic auto-creation, so a deleted topic stays deleted. */
const namespaceWithoutAutoCreation = (adminUrl: string) =>
  freshNamespace(adminUrl, 'gone', { allowAutoTopicCreation: false });

test('a producer on a terminated topic stops reconnecting and fails its sends with TopicTerminatedError', async (t) => {
  const env = await ensurePulsar();
  const client = quickClient(t, env);
  const topic = freshTopic('terminated');
  const producer = await client.createProducer({ topic, sendTimeoutMs: 0 });
  let failedAttempts = 0;
  producer.on('reconnectFailed', () => failedAttempts++);
  const closed = new Promise((r) => producer.once('closed', r));
  await producer.send({ data: Buffer.from('a') });
  await adminCall(env.adminUrl, 'POST', `/admin/v2/${topic.replace('://', '/')}/terminate`);
  // With no send timeout, only the producer giving up can settle this send.
  await assert.rejects(producer.send({ data: Buffer.from('b') }), isResult('TopicTerminatedError'));
  await closed;
  await assert.rejects(producer.send({ data: Buffer.from('c') }), isResult('TopicTerminatedError'));
  const attempts = failedAttempts;
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(attempts <= 1, `reconnect attempts before giving up: ${attempts}`);
  assert.equal(failedAttempts, attempts, 'no attempts after giving up');
});

test('producer and consumer of a topic force-deleted (no auto-creation) close with TopicNotFound', async (t) => {
  const env = await ensurePulsar();
  const ns = await namespaceWithoutAutoCreation(env.adminUrl);
  const topic = `persistent://${ns}/t`;
  await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/t`);
  const client = quickClient(t, env);
  const consumer = await client.subscribe({ topic, subscription: 's' });
  const producer = await client.createProducer({ topic, sendTimeoutMs: 0 });
  // Checked from the start: the rejections may come before the admin call returns.
  const pending = assert.rejects(consumer.receive(), isResult('TopicNotFound'));
  await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/t?force=true`);
  const send = assert.rejects(producer.send({ data: Buffer.from('x') }), isResult('TopicNotFound'));
  await pending;
  await send;
  await assert.rejects(consumer.receive(), isResult('TopicNotFound'));
});

test('a partitioned consumer whose partitioned topic is force-deleted fails its waiting receive', async (t) => {
  const env = await ensurePulsar();
  const ns = await namespaceWithoutAutoCreation(env.adminUrl);
  const topic = `persistent://${ns}/p`;
  await new PulsarAdmin({ baseUrl: env.adminUrl }).createPartitionedTopic(topic, 2);
  const client = quickClient(t, env);
  const consumer = await PartitionedConsumer.subscribe(client, [topic], { subscription: 's' });
  t.after(() => consumer.close());
  const pending = assert.rejects(consumer.receive(), isResult('TopicNotFound'));
  await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/p/partitions?force=true`);
  await pending;
});

test('a listener whose topic is deleted stops, and the process goes on', async (t) => {
  const env = await ensurePulsar();
  const ns = await namespaceWithoutAutoCreation(env.adminUrl);
  const topic = `persistent://${ns}/listened`;
  await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/listened`);
  const broker = await quickBroker(t, env);
  const seen: string[] = [];
  await broker.subscribe({
    topic,
    subscription: 's',
    listener: async (m, c) => {
      seen.push(m.getData().toString());
      await c.acknowledge(m);
    },
  });
  const producer = await broker.createProducer({ topic });
  await producer.send({ data: Buffer.from('a') });
  const until = Date.now() + 10_000;
  while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ['a']);
  await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/listened?force=true`);
  // The event loop still turns: timers fire on time while the consumer gives up.
  for (let i = 0; i < 10; i++) {
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(Date.now() - started < 2000, `a 100 ms timer fired after ${Date.now() - started} ms`);
  }
});

test('a consumer runner whose topics are deleted subscribes again once they are back', async (t) => {
  const env = await ensurePulsar();
  const ns = await namespaceWithoutAutoCreation(env.adminUrl);
  const topic = `persistent://${ns}/runner`;
  // The runner reads the topic and its retry topic; both go, and both come back.
  const names = ['runner', 'runner-s-RETRY'];
  const create = async () => {
    for (const n of names) await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/${n}`);
  };
  await create();
  const { broker, pool } = await quickBrokerWithPool(t, env);
  const seen: string[] = [];
  const runner = new ConsumerRunner(
    defineConsumer({
      topic,
      subscription: 's',
      retry: { maxAttempts: 1 },
      handler: (m) => void seen.push(m.getData().toString()),
    }),
    {
      broker,
      deadLetterSink: retainingDeadLetterSink(broker, async (to, m) =>
        (await pool.get(to)).send(m),
      ),
      receiveTimeoutMs: 100,
    },
  );
  t.after(() => runner.stop(1000));
  await runner.start();
  const until = async (n: number) => {
    const end = Date.now() + 20_000;
    while (seen.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, n, `handled: ${seen.join()}`);
  };
  await (await pool.get(topic)).send({ data: Buffer.from('a') });
  await until(1);
  for (const n of names)
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/${n}?force=true`);
  await new Promise((r) => setTimeout(r, 1000));
  await create();
  // A new producer: the old one closed with its topic.
  const again = await broker.createProducer({ topic });
  t.after(() => again.close());
  await again.send({ data: Buffer.from('b') });
  await until(2);
  assert.deepEqual(seen, ['a', 'b']);
  assert.ok(runner.isHealthy(), 'running again');
});
