// Handlers as JavaScript users write them, run by a ConsumerRunner on a real embedded broker:
// a synchronous one, and ones that fail with errors whose message is not a string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker, type Broker } from '../../src/broker/index.js';
import {
  ConsumerRunner,
  defineConsumer,
  FAILURE_PROPERTIES,
  ProducerPool,
  retainingDeadLetterSink,
  type ConsumerDefinitionInput,
} from '../../src/messaging/index.js';

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-handler-shapes-'));
  const broker = await createEmbeddedBroker({ dataDir: dir });
  const pool = new ProducerPool(broker);
  const runners: ConsumerRunner[] = [];
  t.after(async () => {
    for (const r of runners) await r.stop(1000);
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sink = retainingDeadLetterSink(broker, async (topic, m) => (await pool.get(topic)).send(m));
  const run = async (input: ConsumerDefinitionInput) => {
    const runner = new ConsumerRunner(defineConsumer(input), { broker, deadLetterSink: sink });
    runners.push(runner);
    await runner.start();
    return runner;
  };
  const publish = async (topic: string, body: string) =>
    (await pool.get(topic)).send({ data: Buffer.from(body), properties: { eventId: body } });
  return { broker, run, publish };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const deadLetters = (broker: Broker, topic: string) =>
  broker.admin.readMessages(`persistent://public/default/${topic}-sub-DLQ`).catch(() => []);

test('a synchronous handler that succeeds runs once, with the default timeout and without', async (t) => {
  const { broker, run, publish } = await setup(t);
  for (const timeoutMs of [undefined, 0]) {
    const topic = `sync-${timeoutMs ?? 'default'}`;
    let calls = 0;
    const runner = await run({
      topic,
      subscription: 'sub',
      timeoutMs,
      retry: { maxAttempts: 2, backoff: { initialMs: 50 } },
      // What a JavaScript user writes: no async, nothing returned.
      handler: () => {
        calls++;
      },
    });
    await publish(topic, 'x');
    await until(() => calls >= 1);
    // Long enough for a retry (50 ms backoff) to have run if the attempt had failed.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(calls, 1, `timeoutMs ${timeoutMs}`);
    assert.deepEqual(await deadLetters(broker, topic), [], `timeoutMs ${timeoutMs}`);
    await runner.stop(1000);
  }
});

test('an error whose message is not a string is retried, then dead-lettered with a reason', async (t) => {
  const { broker, run, publish } = await setup(t);
  const attempts: number[] = [];
  await run({
    topic: 'odd-errors',
    subscription: 'sub',
    retry: { maxAttempts: 2, backoff: { initialMs: 50, jitter: 0 } },
    handler: async (_m, ctx) => {
      attempts.push(ctx.attempt);
      throw Object.assign(new Error(), { message: 42 });
    },
  });
  await publish('odd-errors', 'e1');
  let letters: Awaited<ReturnType<typeof deadLetters>> = [];
  await until(async () => (letters = await deadLetters(broker, 'odd-errors')).length > 0);
  assert.deepEqual(attempts, [1, 2]);
  assert.equal(letters.length, 1);
  assert.equal(letters[0].getProperties()[FAILURE_PROPERTIES.error], '42');
  assert.equal(letters[0].getProperties()[FAILURE_PROPERTIES.attempts], '2');
});
