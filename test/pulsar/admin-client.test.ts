import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarAdmin, PulsarAdminError } from '../../src/pulsar/admin/index.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

async function setup(t: { after(fn: () => unknown): void }) {
  const env = await ensurePulsar();
  const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
  const client = new PulsarClient({ serviceUrl: env.serviceUrl });
  t.after(() => client.close());
  return { admin, client };
}

test('partitioned topics: create, count, list, stats summed over partitions, delete', async (t) => {
  const { admin, client } = await setup(t);
  const topic = freshTopic('admin-partitioned');
  await admin.createPartitionedTopic(topic, 3);
  await assert.rejects(admin.createPartitionedTopic(topic, 3), { code: 'Conflict', status: 409 });
  assert.equal(await admin.getPartitionCount(topic), 3);
  // A topic that does not exist yet (Pulsar answers 404) has none.
  assert.equal(await admin.getPartitionCount(freshTopic('admin-never-made')), 0);
  assert.ok((await admin.listPartitionedTopics('public/default')).includes(topic));
  await admin.createSubscription(topic, 'subs', 'earliest');
  const producer = await client.createProducer({ topic: `${topic}-partition-1` });
  for (let i = 0; i < 4; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  await producer.close();
  const stats = await admin.topicStats(topic);
  assert.equal(stats.subscriptions.length, 1);
  assert.equal(stats.subscriptions[0].msgBacklog, 4);
  await admin.deleteTopic(topic, { force: true });
  assert.ok(!(await admin.listPartitionedTopics('public/default')).includes(topic));
});

test('subscription cursors: create at earliest, skip, clear, reset, expire, delete', async (t) => {
  const { admin, client } = await setup(t);
  const topic = freshTopic('admin-cursor');
  await admin.createTopic(topic);
  assert.ok((await admin.listTopics('public/default')).includes(topic));
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  const start = Date.now();
  for (let i = 0; i < 10; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  await producer.close();
  await admin.createSubscription(topic, 'dlq-tools', 'earliest');
  await admin.createSubscription(topic, 'late', 'latest');
  assert.deepEqual((await admin.listSubscriptions(topic)).sort(), ['dlq-tools', 'late']);
  const backlog = async (sub: string) =>
    (await admin.topicStats(topic)).subscriptions.find((s) => s.name === sub)!.msgBacklog;
  assert.equal(await backlog('dlq-tools'), 10);
  assert.equal(await backlog('late'), 0);
  await admin.skipMessages(topic, 'dlq-tools', 3);
  assert.equal(await backlog('dlq-tools'), 7);
  await admin.clearBacklog(topic, 'dlq-tools');
  assert.equal(await backlog('dlq-tools'), 0);
  await admin.resetCursor(topic, 'dlq-tools', start - 1000);
  assert.equal(await backlog('dlq-tools'), 10);
  // Messages older than 1 s: wait until all ten are.
  await new Promise((r) => setTimeout(r, Math.max(0, start + 2500 - Date.now())));
  await admin.expireMessages(topic, 'dlq-tools', 1);
  // Expiry runs on the broker's side; wait for it to move the cursor.
  for (let i = 0; i < 50 && (await backlog('dlq-tools')) > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await backlog('dlq-tools'), 0);
  const internal = await admin.internalStats(topic);
  assert.equal(internal.entriesAddedCounter, 10);
  assert.ok(internal.cursors['dlq-tools']);
  await admin.deleteSubscription(topic, 'late');
  assert.deepEqual(await admin.listSubscriptions(topic), ['dlq-tools']);
  await assert.rejects(admin.deleteSubscription(topic, 'nope'), (err: unknown) => {
    return err instanceof PulsarAdminError && err.code === 'NotFound';
  });
});

test('namespace deduplication policy can be read back', async (t) => {
  const { admin } = await setup(t);
  // public/default is shared with other tests: read it, set it to what it was, read again.
  const before = await admin.getDeduplication('public/default');
  await admin.setDeduplication('public/default', before ?? false);
  assert.equal(await admin.getDeduplication('public/default'), before ?? false);
  await assert.rejects(admin.getDeduplication('no-such-tenant/ns'), (err: unknown) => {
    return err instanceof PulsarAdminError && (err.code === 'NotFound' || err.code === 'Forbidden');
  });
});

test('with ackReceiptEnabled an awaited ack is already in the backlog the admin API reports', async (t) => {
  const { admin, client } = await setup(t);
  const topic = freshTopic('ack-receipt');
  const consumer = await client.subscribe({
    topic,
    subscription: 's',
    subscriptionType: 'Shared',
    ackReceiptEnabled: true,
  });
  const producer = await client.createProducer({ topic, batchingEnabled: false });
  for (let i = 0; i < 20; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  for (let i = 0; i < 20; i++) {
    await consumer.acknowledge(await consumer.receive(10_000));
    if (i % 5 === 4) {
      const s = (await admin.topicStats(topic)).subscriptions[0];
      assert.equal(s.msgBacklog, 20 - (i + 1));
    }
  }
});
