import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { deadLetterTopicName } from '../../src/broker/index.js';
import { FAILURE_PROPERTIES } from '../../src/messaging/index.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
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

test('on Pulsar: a message that kills the consumer process is dead-lettered after maxCrashes lone runs; the others are handled', async (t) => {
  const env = await ensurePulsar();
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-crash-loop-pulsar-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const topic = freshTopic('crash-loop');
  const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
  t.after(() => broker.close());
  const args = [env.serviceUrl, env.adminUrl, topic, dataDir];
  const letters = () =>
    broker.admin.readMessages(deadLetterTopicName(topic, 'crashy'), { limit: 10 });

  // A backlog: the first consumer receives everything at once, so the poison kills the
  // process with the messages of other keys running beside it.
  await new PulsarAdmin({ baseUrl: env.adminUrl }).createSubscription(topic, 'crashy', 'earliest');
  const producer = await broker.createProducer({ topic });
  for (const text of ['a', 'kill', 'b', 'c', 'd', 'e'])
    await producer.send({ data: Buffer.from(text), partitionKey: `key-${text}` });
  await producer.close();
  const first = await runConsumer(t, args, /running/);
  await exitOf(first.child);
  assert.equal(first.child.signalCode, 'SIGKILL', first.output());
  const outputs = [first.output()];

  // maxCrashes 2: after each restart what was in flight runs alone, one at a time; the
  // poison kills twice more that way and is then dead-lettered.
  let survivor: Awaited<ReturnType<typeof runConsumer>> | undefined;
  for (let run = 2; run <= 6 && !survivor; run++) {
    const next = await runConsumer(t, args, /running/);
    const end = Date.now() + 30_000;
    while (next.child.exitCode === null && next.child.signalCode === null) {
      if ((await letters()).length > 0) {
        survivor = next;
        break;
      }
      if (Date.now() > end) throw new Error(`neither died nor dead-lettered:\n${next.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!survivor) {
      assert.equal(next.child.signalCode, 'SIGKILL', next.output());
      outputs.push(next.output());
    }
  }
  assert.ok(survivor, 'still crashing');
  assert.equal(outputs.length, 3, 'the first crash, then two lone ones');
  await new Promise((r) => setTimeout(r, 500));
  const handled = new Set(
    [...outputs, survivor.output()]
      .join('')
      .match(/handled \w+/g)!
      .map((l) => l.slice(8)),
  );
  assert.deepEqual([...handled].sort(), ['a', 'b', 'c', 'd', 'e']);

  const [letter, ...more] = await letters();
  assert.equal(more.length, 0);
  assert.equal(letter.getData().toString(), 'kill');
  const p = letter.getProperties();
  assert.equal(p[FAILURE_PROPERTIES.errorCode], 'CRASH_LOOP');
  assert.match(p[FAILURE_PROPERTIES.error], /stopped 2 times/);
  assert.equal(p[FAILURE_PROPERTIES.subscription], 'crashy');

  survivor.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(survivor.child), { code: 0, signal: null });
});
