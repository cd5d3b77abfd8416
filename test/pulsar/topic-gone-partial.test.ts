// One topic of a consumer over several deleted while the others stay: the main topic of a
// service consumer goes, its retry topic (`<topic>-<subscription>-RETRY`) is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quickBroker, quickClient, quickBrokerWithPool } from './quick-reconnect.js';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PulsarClientError } from '../../src/pulsar/index.js';
import { adminCall, ensurePulsar, freshNamespace } from '../helpers/pulsar.js';

import { isBrokerError } from '../../src/broker/index.js';
import {
  ConsumerRunner,
  defineConsumer,
  retainingDeadLetterSink,
} from '../../src/messaging/index.js';

/** A namespace without topic auto-creation, with topics `names` created in it. */
async function namespaceWith(adminUrl: string, ...names: string[]): Promise<string> {
  const ns = await freshNamespace(adminUrl, 'gone', { allowAutoTopicCreation: false });
  for (const n of names) await adminCall(adminUrl, 'PUT', `/admin/v2/persistent/${ns}/${n}`);
  return ns;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await sleep(50);
  assert.ok(ok(), `${what} within ${ms} ms`);
}

test(
  'a multi-topic consumer reports a deleted topic and reads the others on',
  { timeout: 30_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWith(env.adminUrl, 'a', 'b');
    const client = quickClient(t, env);
    const [a, b] = [`persistent://${ns}/a`, `persistent://${ns}/b`];
    const consumer = await PartitionedConsumer.subscribe(client, [a, b], { subscription: 's' });
    t.after(() => consumer.close());
    const gone = new Promise<[string, unknown]>((r) =>
      consumer.once('topicGone', (topic: string, err: unknown) => r([topic, err])),
    );
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/a?force=true`);
    const [topic, err] = await gone;
    assert.equal(topic, a);
    assert.ok(err instanceof PulsarClientError && err.result === 'TopicNotFound', String(err));
    assert.deepEqual([...consumer.goneTopics().keys()], [a]);
    assert.equal(consumer.isConnected(), false, 'not connected while a topic is not read');
    const producer = await client.createProducer({ topic: b });
    await producer.send({ data: Buffer.from('still read') });
    const m = await consumer.receive(10_000);
    assert.equal(m.getData().toString(), 'still read');
  },
);

test(
  'a broker consumer closes with TopicNotFound when its topic goes and its retry topic stays',
  { timeout: 30_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWith(env.adminUrl, 't', 't-s-RETRY');
    const broker = await quickBroker(t, env);
    const consumer = await broker.subscribe({
      topic: `persistent://${ns}/t`,
      subscription: 's',
      retryEnable: true,
    });
    // Checked from the start: the rejection may come before the admin call returns.
    const waiting = assert.rejects(consumer.receive(), (e) => isBrokerError(e, 'TopicNotFound'));
    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/t?force=true`);
    await waiting;
    await assert.rejects(consumer.receive(100), (e) => isBrokerError(e, 'TopicNotFound'));
    assert.equal(consumer.isConnected(), false);
    // Closed, it no longer holds the broker's readiness down.
    assert.equal(broker.notConnectedReason(), undefined);
  },
);

test(
  'a consumer runner whose topic alone is deleted subscribes again once it is back',
  { timeout: 30_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWith(env.adminUrl, 'runner', 'runner-s-RETRY');
    const [topic, retryTopic] = [`persistent://${ns}/runner`, `persistent://${ns}/runner-s-RETRY`];
    const { broker, pool } = await quickBrokerWithPool(t, env);
    const seen: string[] = [];
    const warnings: string[] = [];
    const log = (level: string) => (obj: object, msg?: string) => {
      if (level === 'warn' || level === 'error')
        warnings.push(`${msg ?? ''}: ${String((obj as { err?: unknown }).err)}`);
    };
    const runner = new ConsumerRunner(
      defineConsumer({
        topic,
        subscription: 's',
        retry: { maxAttempts: 1 },
        // Every delivery reaches the handler: a redelivered message would be seen twice.
        dedupe: false,
        handler: (m) => void seen.push(m.getData().toString()),
      }),
      {
        broker,
        deadLetterSink: retainingDeadLetterSink(broker, async (to, m) =>
          (await pool.get(to)).send(m),
        ),
        logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
        receiveTimeoutMs: 100,
      },
    );
    t.after(() => runner.stop(1000));
    await runner.start();
    const first = await broker.createProducer({ topic });
    await first.send({ data: Buffer.from('a') });
    await (await pool.get(retryTopic)).send({ data: Buffer.from('r1') });
    await waitFor('a and r1 handled', () => seen.length === 2);
    // Acked before the deletion: r1 must not come again.
    await sleep(500);
    assert.ok(runner.isHealthy());

    await adminCall(env.adminUrl, 'DELETE', `/admin/v2/persistent/${ns}/runner?force=true`);
    await waitFor('unready while the topic is gone', () => !runner.isHealthy());
    // The producer closes with its topic, and leaves the broker's readiness on its own.
    await waitFor('the producer closed', () => first.isClosed());
    // Stored on the retry topic while the main one is gone: read once the runner is back.
    await (await pool.get(retryTopic)).send({ data: Buffer.from('r2') });
    // Several re-subscribes fail meanwhile (the runner's backoff starts at 200 ms).
    await sleep(2000);
    assert.ok(!runner.isHealthy(), 'still unready: the topic is still gone');

    await adminCall(env.adminUrl, 'PUT', `/admin/v2/persistent/${ns}/runner`);
    const again = await broker.createProducer({ topic });
    t.after(() => again.close());
    await again.send({ data: Buffer.from('b') });
    await waitFor('b and r2 handled', () => seen.length >= 4);
    await waitFor('ready again', () => runner.isHealthy());
    assert.equal(broker.notConnectedReason(), undefined);
    await sleep(500);
    assert.deepEqual(seen.slice(0, 2).sort(), ['a', 'r1']);
    assert.deepEqual(seen.slice(2).sort(), ['b', 'r2'], `handled: ${seen.join()}`);
    const gone = warnings.filter((w) => /TopicNotFound|does not exist|not found/i.test(w));
    assert.equal(gone.length, 1, `the deletion is logged once:\n${warnings.join('\n')}`);
  },
);
