// A topic the service publishes to is force-deleted (auto-creation off) or terminated: the
// producer the broker refused for good leaves the broker's readiness and the publisher's
// pool, and publishing works again, with no restart, once a topic of that name exists again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quickBroker, quickClient } from './quick-reconnect.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { PartitionedProducer } from '../../src/pulsar/partitioned-producer.js';
import { adminCall, ensurePulsar, freshNamespace } from '../helpers/pulsar.js';
import type { PulsarBroker } from '../../src/broker/pulsar/index.js';
import { isBrokerError } from '../../src/broker/index.js';
import { Publisher, PublishRejectedError } from '../../src/messaging/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await sleep(50);
  assert.ok(ok(), `${what} within ${ms} ms`);
}

/** A namespace without topic auto-creation, so a deleted topic stays deleted. */
const namespaceWithoutAutoCreation = (adminUrl: string) =>
  freshNamespace(adminUrl, 'pgone', { allowAutoTopicCreation: false });

const brokerAt = async (t: { after(fn: () => unknown): void }): Promise<PulsarBroker> =>
  quickBroker(t, await ensurePulsar());

/** A quick 503 BROKER_UNAVAILABLE whose cause is the broker's error `code`. */
async function refusedQuickly(publish: Promise<unknown>, code: string): Promise<void> {
  const started = Date.now();
  await assert.rejects(publish, (e: unknown) => {
    assert.ok(e instanceof PublishRejectedError, String(e));
    assert.equal(e.code, 'BROKER_UNAVAILABLE');
    assert.ok(isBrokerError(e.cause) && String(e.cause.message).includes(code), String(e.cause));
    return true;
  });
  assert.ok(Date.now() - started < 3000, `refused after ${Date.now() - started} ms`);
}

test(
  'a publisher whose topic is force-deleted refuses with 503 meanwhile and publishes again once it is back',
  { timeout: 60_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWithoutAutoCreation(env.adminUrl);
    const topic = `persistent://${ns}/t`;
    await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/t`);
    const broker = await brokerAt(t);
    const publisher = new Publisher(broker);
    t.after(() => publisher.close());
    await publisher.publish(topic, { data: Buffer.from('a') });

    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/t?force=true`);
    // The producer closes for good: it no longer holds the broker's readiness down.
    await waitFor('the broker connected again', () => broker.isConnected());
    assert.equal(broker.notConnectedReason(), undefined);
    assert.ok(publisher.isAvailable());
    await refusedQuickly(publisher.publish(topic, { data: Buffer.from('x') }), 'TopicNotFound');
    await refusedQuickly(publisher.publish(topic, { data: Buffer.from('y') }), 'TopicNotFound');
    assert.ok(broker.isConnected(), 'the refusals leave readiness alone');

    await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/t`);
    const reader = await broker.subscribe({
      topic,
      subscription: 'check',
      subscriptionInitialPosition: 'Earliest',
    });
    await publisher.publish(topic, { data: Buffer.from('b') });
    assert.equal((await reader.receive(10_000)).getData().toString(), 'b');
    await reader.close();
    assert.ok(broker.isConnected());
  },
);

test(
  'a producer of the Broker contract closed for good by a deletion leaves the open producers',
  { timeout: 60_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWithoutAutoCreation(env.adminUrl);
    await new PulsarAdmin({ baseUrl: env.adminUrl }).createPartitionedTopic(
      `persistent://${ns}/p`,
      2,
    );
    const broker = await brokerAt(t);
    const producer = await broker.createProducer({ topic: `persistent://${ns}/p` });
    await producer.send({ data: Buffer.from('a'), partitionKey: 'k' });
    assert.equal(producer.isClosed(), false);
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/p/partitions?force=true`);
    await waitFor('the producer closed', () => producer.isClosed());
    await waitFor('the broker connected again', () => broker.isConnected());
    // Sends fail with the reason, whichever partition they go to.
    for (const key of ['k', 'other', 'third'])
      await assert.rejects(producer.send({ data: Buffer.from('x'), partitionKey: key }), (e) =>
        isBrokerError(e, 'TopicNotFound'),
      );
    await producer.close();
  },
);

test(
  'a partitioned producer closes, with the reason, when a partition is refused for good',
  { timeout: 60_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWithoutAutoCreation(env.adminUrl);
    const topic = `persistent://${ns}/q`;
    await new PulsarAdmin({ baseUrl: env.adminUrl }).createPartitionedTopic(topic, 2);
    const client = quickClient(t, env);
    const producer = await PartitionedProducer.create(client, { topic }, 2);
    const closed = new Promise<unknown>((r) => producer.once('closed', r));
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/q/partitions?force=true`);
    const err = await closed;
    assert.ok(err instanceof PulsarClientError && err.result === 'TopicNotFound', String(err));
    assert.equal(producer.failure, err);
    assert.equal(producer.isConnected(), false);
    await assert.rejects(producer.send({ data: Buffer.from('x') }), (e) => e === err);
  },
);

test(
  'a publisher whose topic is terminated stays ready, refuses that topic with 503 and publishes once it is made again',
  { timeout: 60_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWithoutAutoCreation(env.adminUrl);
    const [topic, other] = [`persistent://${ns}/done`, `persistent://${ns}/other`];
    for (const n of ['done', 'other'])
      await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/${n}`);
    const broker = await brokerAt(t);
    const publisher = new Publisher(broker);
    t.after(() => publisher.close());
    await publisher.publish(topic, { data: Buffer.from('a') });
    await publisher.publish(other, { data: Buffer.from('a') });

    await adminCall(env.adminUrl, 'POST', `/admin/v2/persistent/${ns}/done/terminate`);
    await waitFor('the broker connected again', () => broker.isConnected());
    await refusedQuickly(publisher.publish(topic, { data: Buffer.from('x') }), 'TopicTerminated');
    await refusedQuickly(publisher.publish(topic, { data: Buffer.from('y') }), 'TopicTerminated');
    // The other topics go on: nothing refuses them for the terminated one.
    await publisher.publish(other, { data: Buffer.from('b') });
    assert.ok(broker.isConnected() && publisher.isAvailable());

    // A terminated topic takes no more messages; an operator deletes it and makes it again.
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/done?force=true`);
    await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/done`);
    await publisher.publish(topic, { data: Buffer.from('c') });
  },
);

test(
  "a consumer's dead-letter topic force-deleted and made again takes its letters again",
  { timeout: 60_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWithoutAutoCreation(env.adminUrl);
    const topic = `persistent://${ns}/t`;
    const dlq = `persistent://${ns}/t-s-DLQ`;
    for (const name of ['t', 't-s-DLQ'])
      await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/${name}`);
    const broker = await brokerAt(t);
    const consumer = await broker.subscribe({
      topic,
      subscription: 's',
      subscriptionType: 'Shared',
      nAckRedeliverTimeoutMs: 100,
      // The first nack dead-letters.
      deadLetterPolicy: { maxRedeliverCount: 0 },
    });
    const producer = await broker.createProducer({ topic });
    const deadLettered = async (text: string) => {
      await producer.send({ data: Buffer.from(text) });
      const m = await consumer.receive(10_000);
      assert.equal(m.getData().toString(), text);
      consumer.negativeAcknowledge(m);
      const reader = await broker.subscribe({
        topic: dlq,
        subscription: `check-${text}`,
        subscriptionInitialPosition: 'Earliest',
      });
      const letter = await reader.receive(10_000);
      await reader.close();
      return letter.getData().toString();
    };
    assert.equal(await deadLettered('a'), 'a');

    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/t-s-DLQ?force=true`);
    // Time for the letters' producer to be refused for good (TopicNotFound on reconnecting).
    await sleep(2000);
    await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/t-s-DLQ`);
    assert.equal(await deadLettered('b'), 'b');
    await producer.close();
    await consumer.close();
  },
);
