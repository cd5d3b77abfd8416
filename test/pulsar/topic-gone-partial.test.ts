// One topic of a consumer over several deleted while the others stay: the main topic of a
// service consumer goes, its retry topic (`<topic>-<subscription>-RETRY`) is left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionedConsumer } from '../../src/pulsar/partitioned-consumer.js';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';
import { adminCall, ensurePulsar, freshNamespace } from '../helpers/pulsar.js';

/** A namespace without topic auto-creation, with topics `names` created in it. */
async function namespaceWith(adminUrl: string, ...names: string[]): Promise<string> {
  const ns = await freshNamespace(adminUrl, 'gone', { allowAutoTopicCreation: false });
  for (const n of names) await adminCall(adminUrl, 'PUT', `/admin/v2/persistent/${ns}/${n}`);
  return ns;
}

test(
  'a multi-topic consumer reports a deleted topic and reads the others on',
  { timeout: 30_000 },
  async (t) => {
    const env = await ensurePulsar();
    const ns = await namespaceWith(env.adminUrl, 'a', 'b');
    const client = new PulsarClient({ serviceUrl: env.serviceUrl, maxBackoffIntervalMs: 200 });
    t.after(() => client.close());
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
