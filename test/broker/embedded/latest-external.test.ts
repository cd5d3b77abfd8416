import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEmbeddedBroker } from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';
import { drain, texts } from './drain.js';

const SECOND = fileURLToPath(new URL('../fixtures/second-process.ts', import.meta.url));
const run = promisify(execFile);

test('a Latest subscription does not start before what another process published', async (t) => {
  const dataDir = tempDir(t);
  const broker = await createEmbeddedBroker({ dataDir, externalPollIntervalMs: 50 });
  t.after(() => broker.close());
  // This process knows the topic but watches no subscription on it.
  const producer = await broker.createProducer({ topic: 'lt' });
  await producer.send({ data: Buffer.from('mine-before') });
  await run(process.execPath, ['--import', 'tsx', SECOND, 'publish', dataDir, 'lt', '3', 'cli'], {
    timeout: 60_000,
  });
  await new Promise((r) => setTimeout(r, 200)); // several polls
  const consumer = await broker.subscribe({
    topic: 'lt',
    subscription: 'late',
    subscriptionType: 'Exclusive',
    subscriptionInitialPosition: 'Latest',
  });
  await producer.send({ data: Buffer.from('mine-after') });
  const got = texts(await drain(consumer));
  assert.deepEqual(got, ['mine-after']);
});
