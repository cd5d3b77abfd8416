// Stopping a consumer on the embedded broker (real SQLite files): what a drain may start, what
// a drain deadline does to a message's attempts, and what the runner does afterwards.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker, type Broker } from '../../src/broker/index.js';
import {
  ConsumerRunner,
  defineConsumer,
  ProducerPool,
  retainingDeadLetterSink,
  type ConsumerDefinitionInput,
  type HandlerLogger,
} from '../../src/messaging/index.js';

const TOPIC = 'stop-test';
const DLQ = `${TOPIC}-sub-DLQ`;

/** Opens the broker of `dataDir`, with a runner factory; everything closes after the test. */
async function open(t: TestContext, dataDir: string) {
  const broker = await createEmbeddedBroker({ dataDir });
  const pool = new ProducerPool(broker);
  const sink = retainingDeadLetterSink(broker, async (topic, m) => (await pool.get(topic)).send(m));
  const runners: ConsumerRunner[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const r of runners) await r.stop(100);
    await pool.close();
    await broker.close();
  };
  t.after(close);
  const runner = (input: Partial<ConsumerDefinitionInput>, logger?: HandlerLogger) => {
    const r = new ConsumerRunner(
      defineConsumer({ topic: TOPIC, subscription: 'sub', handler: async () => {}, ...input }),
      { broker, deadLetterSink: sink, receiveTimeoutMs: 50, nackDelayMs: 50, logger },
    );
    runners.push(r);
    return r;
  };
  const publish = async (n: number, key?: (i: number) => string) => {
    const producer = await pool.get(TOPIC);
    for (let i = 0; i < n; i++)
      await producer.send({ data: Buffer.from(String(i)), partitionKey: key?.(i) });
  };
  return { broker, runner, publish, close };
}

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-runner-stop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A handler that takes `ms` unless its signal aborts, recording starts. */
function slowHandler(started: string[], ms: number) {
  return async (m: { getData(): Buffer }, ctx: { signal: AbortSignal }) => {
    started.push(m.getData().toString());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted by shutdown'));
      });
    });
  };
}

async function dlqSize(broker: Broker): Promise<number> {
  return (await broker.admin.readMessages(DLQ)).length;
}

test('a drain finishes the handlers running, starts none of the messages already received', async (t) => {
  const dir = dataDir(t);
  const first = await open(t, dir);
  const started: string[] = [];
  const runner = first.runner({ concurrency: 1, handler: slowHandler(started, 300) });
  await runner.start();
  await first.publish(4);
  await until(() => started.length === 1);
  const t0 = Date.now();
  await runner.stop(5000);
  assert.deepEqual(started, ['0'], 'nothing starts after stop');
  assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`);
  await first.close();

  // The ones left are delivered to the next consumer; the finished one is not.
  const second = await open(t, dir);
  const seen: string[] = [];
  await second.runner({ handler: async (m) => void seen.push(m.getData().toString()) }).start();
  await until(() => seen.length === 3);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen.sort(), ['1', '2', '3']);
});

test('a handler cut off by the drain deadline on its last attempt is delivered again, not dead-lettered', async (t) => {
  const dir = dataDir(t);
  const first = await open(t, dir);
  const started: string[] = [];
  const runner = first.runner({
    concurrency: 2,
    retry: { maxAttempts: 1 },
    handler: slowHandler(started, 5000),
  });
  await runner.start();
  await first.publish(2, (i) => `k${i}`);
  await until(() => started.length === 2);
  await runner.stop(200);
  assert.equal(await dlqSize(first.broker), 0, 'a shutdown is not the message failing');
  await first.close();

  const second = await open(t, dir);
  const seen: string[] = [];
  await second
    .runner({
      retry: { maxAttempts: 1 },
      handler: async (m) => void seen.push(m.getData().toString()),
    })
    .start();
  await until(() => seen.length === 2);
  assert.deepEqual(seen.sort(), ['0', '1']);
  assert.equal(await dlqSize(second.broker), 0);
});

test('handlers that give up when the drain deadline aborts them log no failure', async (t) => {
  const first = await open(t, dataDir(t));
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (_obj: object, msg?: string) => void lines.push([level, msg ?? '']);
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const started: string[] = [];
  const runner = first.runner({ concurrency: 3, handler: slowHandler(started, 5000) }, logger);
  await runner.start();
  await first.publish(3, (i) => `k${i}`);
  await until(() => started.length === 3);
  await runner.stop(100);
  // The aborted handlers settle after the subscription closed.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    lines.filter(([level]) => level === 'error'),
    [],
    'a shutdown is not a handler failure',
  );
  assert.ok(lines.some(([, msg]) => msg.startsWith('drain deadline passed')));
});

test('a stopped runner refuses to start again, also when stopped before it started', async (t) => {
  const { runner } = await open(t, dataDir(t));
  const ran = runner({});
  await ran.start();
  await ran.stop();
  await assert.rejects(ran.start(), /was stopped/);
  const never = runner({ subscription: 'other' });
  await never.stop();
  await assert.rejects(never.start(), /was stopped/);
  assert.equal(never.status().state, 'stopped');
});
