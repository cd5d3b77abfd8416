import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { javaConsume, javaProduce } from '../helpers/pulsar.js';
import { clientFor, freshTopic, receiveN, text } from './client-fixture.js';

// Interop with Pulsar's own Java clients (pulsar-client and pulsar-perf, from the harness).
const JAVA_PERF = new URL('../../scripts/pulsar/perf', import.meta.url).pathname;
const run = promisify(execFile);

test(
  'messages produced by the Java client (keyed, with properties) are consumed correctly',
  { timeout: 180_000 },
  async (t) => {
    const client = await clientFor(t);
    const topic = freshTopic('interop-from-java');
    const consumer = await client.subscribe({
      topic,
      subscription: 's',
      subscriptionInitialPosition: 'Earliest',
    });
    const words = ['alpha', 'beta, with comma', 'gamma', 'délta'];
    await javaProduce(topic, words, { key: 'java-key', properties: { origin: 'java', n: '1' } });
    await javaProduce(topic, ['single-1', 'single-2'], { disableBatching: true });
    const got = await receiveN(consumer, 6, 30_000);
    assert.deepEqual(got.map(text), [...words, 'single-1', 'single-2']);
    for (const m of got.slice(0, 4)) {
      assert.equal(m.getPartitionKey(), 'java-key');
      assert.deepEqual(m.getProperties(), { origin: 'java', n: '1' });
    }
    for (const m of got.slice(4)) {
      assert.equal(m.getPartitionKey(), undefined);
      assert.deepEqual(m.getProperties(), {});
    }
    for (const m of got) await consumer.acknowledge(m);
  },
);

test(
  'multi-message LZ4 batches from the Java perf producer are unpacked',
  { timeout: 180_000 },
  async (t) => {
    const client = await clientFor(t);
    const topic = freshTopic('interop-java-perf');
    const consumer = await client.subscribe({
      topic,
      subscription: 's',
      subscriptionInitialPosition: 'Earliest',
    });
    // pulsar-client waits for each send, so its batches hold one message; pulsar-perf keeps
    // many in flight, so its batches hold many.
    const args = [
      'produce',
      '-m',
      '500',
      '-r',
      '100000',
      '-s',
      '64',
      '-b',
      '20',
      '-bm',
      '50',
      '-z',
      'LZ4',
      topic,
    ];
    await run(JAVA_PERF, args, { timeout: 120_000, maxBuffer: 16 << 20 });
    const got = await receiveN(consumer, 500, 30_000);
    assert.ok(got.every((m) => m.getData().length === 64));
    assert.ok(
      got.some((m) => m.getMessageId().batchIndex > 0),
      'several messages per batch',
    );
    assert.equal(
      new Set(got.map((m) => m.getMessageId().toString())).size,
      500,
      'every message once',
    );
    for (const m of got) await consumer.acknowledge(m);
  },
);

test(
  'messages produced by ours (batched and not) are read back exactly by the Java client',
  { timeout: 180_000 },
  async (t) => {
    const client = await clientFor(t);
    const topic = freshTopic('interop-to-java');
    const batched = await client.createProducer({ topic, batchingEnabled: true });
    const sent = Array.from({ length: 6 }, (_, i) => ({
      data: Buffer.from(`from-ts-${i} ünï`),
      partitionKey: `key-${i % 2}`,
      properties: { idx: String(i), lang: 'ts', 'with space': 'a=b' },
    }));
    await Promise.all(sent.map((m) => batched.send(m)));
    const single = await client.createProducer({ topic, batchingEnabled: false });
    const last = {
      data: Buffer.from('unbatched'),
      partitionKey: 'solo',
      properties: { idx: '6', lang: 'ts' },
    };
    await single.send(last);
    const records = await javaConsume(topic, 'java-sub', 7, { timeoutMs: 120_000 });
    const expected = [...sent, last];
    records.sort((a, b) => Number(a.properties.idx) - Number(b.properties.idx));
    records.forEach((r, i) => {
      assert.equal(r.payload, expected[i].data.toString());
      assert.equal(r.key, expected[i].partitionKey);
      assert.deepEqual(r.properties, expected[i].properties);
    });
  },
);
