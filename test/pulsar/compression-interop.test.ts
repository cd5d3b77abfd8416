// Compressed batches written by clients no one here wrote, read by ours; and the reverse.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PulsarClient, type Message } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic, javaConsume } from '../helpers/pulsar.js';

const PERF = fileURLToPath(new URL('../../scripts/pulsar/perf', import.meta.url));

/** Runs Pulsar's perf tool (pulsar-perf) to the end. */
function perf(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(PERF, args, { timeout: 180_000, maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`pulsar-perf ${args.join(' ')}: ${stderr.slice(-2000)}`)) : resolve(),
    ),
  );
}

async function receiveN(consumer: { receive(ms: number): Promise<Message> }, n: number) {
  const out: Message[] = [];
  while (out.length < n) out.push(await consumer.receive(30_000));
  return out;
}

test(
  'batches compressed by pulsar-perf with LZ4, ZLIB, ZSTD and SNAPPY are decoded by our consumer',
  { timeout: 900_000 },
  async (t) => {
    const env = await ensurePulsar();
    const client = new PulsarClient({ serviceUrl: env.serviceUrl });
    t.after(() => client.close());
    // pulsar-perf picks each payload from the lines of this file: compressible JSON lines.
    const dir = mkdtempSync(join(tmpdir(), 'magnetar-perf-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const lines = Array.from(
      { length: 20 },
      (_, i) => `{"type":"user.viewed","userId":"user-${i}","pad":"${'x'.repeat(50 + i * 10)}"}`,
    );
    const payloadFile = join(dir, 'payloads.txt');
    writeFileSync(payloadFile, lines.join('\n') + '\n');
    const known = new Set(lines);
    const count = 400;

    for (const codec of ['LZ4', 'ZLIB', 'ZSTD', 'SNAPPY']) {
      const topic = freshTopic(`perf-${codec.toLowerCase()}`);
      const consumer = await client.subscribe({
        topic,
        subscription: 'decode',
        subscriptionInitialPosition: 'Earliest',
      });
      const discarded: unknown[] = [];
      consumer.on('discarded', (d) => discarded.push(d));
      // -b 50: a 50 ms batching window at 4000 msg/s, so batches of many messages.
      await perf([
        'produce',
        '-m',
        String(count),
        '-r',
        '4000',
        '-b',
        '50',
        '-z',
        codec,
        '-f',
        payloadFile,
        topic,
      ]);
      const got = await receiveN(consumer, count);
      const unknown = got.map((m) => m.getData().toString()).filter((p) => !known.has(p));
      assert.deepEqual(unknown, [], `${codec}: payloads decoded wrongly`);
      const batched = got.filter((m) => m.getMessageId().batchSize > 1).length;
      assert.ok(batched > count / 2, `${codec}: only ${batched} of ${count} came in batches`);
      assert.deepEqual(discarded, [], `${codec}: entries discarded`);
      t.diagnostic(`${codec}: ${count} messages, ${batched} in batches, all decoded`);
      await consumer.close();
    }
  },
);

test(
  'batches compressed by our producer (LZ4, ZLIB, SNAPPY) are read by the Java client',
  { timeout: 600_000 },
  async (t) => {
    const env = await ensurePulsar();
    const client = new PulsarClient({ serviceUrl: env.serviceUrl });
    t.after(() => client.close());
    for (const compressionType of ['LZ4', 'ZLIB', 'SNAPPY'] as const) {
      const topic = freshTopic(`ours-${compressionType.toLowerCase()}`);
      const producer = await client.createProducer({
        topic,
        compressionType,
        batchingMaxPublishDelayMs: 50,
      });
      const sent = Array.from(
        { length: 30 },
        (_, i) => `${compressionType}-${i}-${'y'.repeat(200)}`,
      );
      await Promise.all(sent.map((s) => producer.send({ data: Buffer.from(s) })));
      await producer.close();
      const got = await javaConsume(topic, 'java', sent.length, { timeoutMs: 120_000 });
      assert.deepEqual(
        got.map((m) => m.payload),
        sent,
        `${compressionType}: the Java client read something else`,
      );
    }
  },
);
