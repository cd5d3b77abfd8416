import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createEmbeddedBroker,
  type Broker,
  type Consumer,
  type ProducerConfig,
} from '../../../src/broker/index.js';

const SUBSCRIPTION = {
  topic: 'jobs',
  subscription: 'work',
  subscriptionType: 'Shared' as const,
  subscriptionInitialPosition: 'Earliest' as const,
};

/**
 * A poison message past maxRedeliverCount, with the consumer closed the moment its dead-letter
 * send is queued (as a shutdown arriving then would). Resolves once the close is done.
 */
async function closeWhileDeadLettering(t: TestContext, broker: Broker): Promise<void> {
  await (await broker.createProducer({ topic: 'jobs' })).send({ data: Buffer.from('poison') });
  // Set below; the wrapped send closes it.
  const subscribed: { consumer?: Consumer } = {};
  let closing: Promise<void> | undefined;
  const create = broker.createProducer.bind(broker);
  broker.createProducer = async (config: ProducerConfig) => {
    const producer = await create(config);
    if (!config.topic.endsWith('jobs-DLQ')) return producer;
    const send = producer.send.bind(producer);
    producer.send = (m) => {
      const sent = send(m);
      closing ??= subscribed.consumer!.close();
      return sent;
    };
    return producer;
  };
  t.after(() => {
    broker.createProducer = create;
  });
  const consumer = await broker.subscribe({
    ...SUBSCRIPTION,
    nAckRedeliverTimeoutMs: 50,
    deadLetterPolicy: { maxRedeliverCount: 1, deadLetterTopic: 'jobs-DLQ' },
  });
  subscribed.consumer = consumer;
  consumer.negativeAcknowledge(await consumer.receive(5000));
  consumer.negativeAcknowledge(await consumer.receive(5000));
  for (let i = 0; i < 500 && closing === undefined; i++) await sleep(10);
  assert.ok(closing, 'the message went to the dead-letter topic');
  await closing;
  assert.equal((await broker.admin.readMessages('jobs-DLQ')).length, 1);
}

async function nothingComes(broker: Broker): Promise<void> {
  const again = await broker.subscribe(SUBSCRIPTION);
  const got = await again.receive(1000).then(
    (m) => m.getData().toString(),
    () => undefined,
  );
  await again.close();
  assert.equal(got, undefined, 'the dead-lettered message came again');
}

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-dlq-close-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a message dead-lettered while its consumer closes is not delivered again', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: dataDir(t) });
  t.after(() => broker.close());
  await closeWhileDeadLettering(t, broker);
  await nothingComes(broker);
});

test('nor after a restart on the same data dir', async (t) => {
  const dir = dataDir(t);
  const first = await createEmbeddedBroker({ dataDir: dir });
  await closeWhileDeadLettering(t, first);
  await first.close();
  const second = await createEmbeddedBroker({ dataDir: dir });
  t.after(() => second.close());
  await nothingComes(second);
});
