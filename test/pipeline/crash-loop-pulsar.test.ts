import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { deadLetterTopicName } from '../../src/broker/index.js';
import { FAILURE_PROPERTIES } from '../../src/messaging/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';
import { exitOf } from './child-service.js';

const FIXTURE = 'test/pipeline/fixtures/killing-consumer.ts';

/** Runs the consumer until it dies or has printed `until`; returns how it ended and its output. */
async function runConsumer(t: TestContext, args: string[], until: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const end = Date.now() + 30_000;
  while (child.exitCode === null && child.signalCode === null && !until.test(out)) {
    if (Date.now() > end) throw new Error(`consumer neither died nor finished:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, signal: child.signalCode, output: () => out };
}

test('on Pulsar: a message that kills the consumer process is dead-lettered after maxCrashes', async (t) => {
  const env = await ensurePulsar();
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-crash-loop-pulsar-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const topic = freshTopic('crash-loop');
  const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
  t.after(() => broker.close());
  const args = [env.serviceUrl, env.adminUrl, topic, dataDir];

  // The subscription exists before anything is published (it starts at the earliest anyway).
  const first = await runConsumer(t, args, /running/);
  const producer = await broker.createProducer({ topic });
  for (const text of ['a', 'kill', 'b'])
    await producer.send({ data: Buffer.from(text), partitionKey: 'k' });
  await producer.close();
  await exitOf(first.child);
  assert.equal(first.child.signalCode, 'SIGKILL', first.output());
  assert.match(first.output(), /handled a/);

  // maxCrashes 2: the second run dies too, the third dead-letters the message and goes on.
  const second = await runConsumer(t, args, /handled b/);
  await exitOf(second.child);
  assert.equal(second.child.signalCode, 'SIGKILL', second.output());
  const third = await runConsumer(t, args, /handled b/);
  assert.equal(third.child.signalCode, null, third.output());
  assert.match(third.output(), /handled b/);

  const [letter, ...more] = await broker.admin.readMessages(deadLetterTopicName(topic, 'crashy'), {
    limit: 10,
  });
  assert.equal(more.length, 0);
  assert.equal(letter.getData().toString(), 'kill');
  const p = letter.getProperties();
  assert.equal(p[FAILURE_PROPERTIES.errorCode], 'CRASH_LOOP');
  assert.match(p[FAILURE_PROPERTIES.error], /stopped 2 times/);
  assert.equal(p[FAILURE_PROPERTIES.subscription], 'crashy');

  third.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(third.child), { code: 0, signal: null });
});
