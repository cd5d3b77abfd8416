import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import type { Message } from '../../src/broker/index.js';
import {
  ConsumerRunner,
  defineConsumer,
  NonRetryableError,
  ProducerPool,
  FAILURE_PROPERTIES,
  type Handler,
} from '../../src/messaging/index.js';
import { FakeBroker } from './fake-broker.js';

const TOPIC = 'persistent://public/default/user-events';
const DLQ = `${TOPIC}-sub-DLQ`;

function setup(t: { after(fn: () => Promise<void>): void }, handler: Handler, extra = {}) {
  const broker = new FakeBroker();
  const pool = new ProducerPool(broker);
  const runner = new ConsumerRunner(
    defineConsumer({
      topic: 'user-events',
      subscription: 'sub',
      concurrency: 4,
      handler,
      retry: { maxAttempts: 3, backoff: { initialMs: 50, multiplier: 2, jitter: 0 } },
      ...extra,
    }),
    {
      broker,
      deadLetterSink: async (topic, m) => (await pool.get(topic)).send(m),
      receiveTimeoutMs: 50,
      nackDelayMs: 20,
    },
  );
  t.after(() => runner.stop(1000));
  return { broker, runner, pool };
}

async function until(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('messages are handled and acked', async (t) => {
  const seen: string[] = [];
  const { broker, runner } = setup(t, async (m) => {
    seen.push(m.getData().toString());
  });
  await runner.start();
  for (let i = 0; i < 10; i++)
    await broker.store(TOPIC, { data: Buffer.from(`m${i}`), properties: { eventId: `e${i}` } });
  await until(() => seen.length === 10);
  assert.equal(runner.status().state, 'running');
  assert.ok(runner.isHealthy());
});

test('a message that always fails is retried maxAttempts times with growing delays, then dead-lettered', async (t) => {
  const times: number[] = [];
  const { broker, runner } = setup(t, async () => {
    times.push(Date.now());
    throw new Error('cannot handle');
  });
  await runner.start();
  await broker.store(TOPIC, { data: Buffer.from('poison'), partitionKey: 'u1' });
  await until(() => (broker.topics.get(DLQ)?.length ?? 0) === 1);
  assert.equal(times.length, 3);
  const gaps = [times[1] - times[0], times[2] - times[1]];
  // The back-off floors grow (50 ms, then 100 ms); a busy machine may stretch either gap, so
  // their order proves nothing, their floors do.
  assert.ok(gaps[0] >= 45 && gaps[1] >= 95, `gaps ${gaps}`);
  const [dead] = broker.topics.get(DLQ)!;
  assert.equal(dead.data.toString(), 'poison');
  assert.equal(dead.partitionKey, 'u1');
  assert.equal(dead.properties[FAILURE_PROPERTIES.error], 'cannot handle');
  assert.equal(dead.properties[FAILURE_PROPERTIES.attempts], '3');
  assert.equal(dead.properties[FAILURE_PROPERTIES.originalTopic], TOPIC);
  assert.equal(dead.properties[FAILURE_PROPERTIES.originalMessageId], '1:0:-1');
  assert.ok(
    dead.properties[FAILURE_PROPERTIES.firstFailureAt] <
      dead.properties[FAILURE_PROPERTIES.lastFailureAt],
  );
});

test('NonRetryableError goes straight to the dead-letter topic', async (t) => {
  let runs = 0;
  const { broker, runner } = setup(t, async () => {
    runs++;
    throw new NonRetryableError('bad shape');
  });
  await runner.start();
  await broker.store(TOPIC, { data: Buffer.from('x') });
  await until(() => (broker.topics.get(DLQ)?.length ?? 0) === 1);
  assert.equal(runs, 1);
});

test('on KeyShared, one key is handled at a time and in order', async (t) => {
  const log: Record<string, number[]> = {};
  const active = new Map<string, number>();
  let overlap = false;
  const { broker, runner } = setup(t, async (m: Message) => {
    const key = m.getPartitionKey()!;
    active.set(key, (active.get(key) ?? 0) + 1);
    if (active.get(key)! > 1) overlap = true;
    await new Promise((r) => setTimeout(r, Math.random() * 4));
    (log[key] ??= []).push(Number(m.getData().toString()));
    active.set(key, active.get(key)! - 1);
  });
  await runner.start();
  for (let i = 0; i < 60; i++)
    await broker.store(TOPIC, { data: Buffer.from(String(i)), partitionKey: `k${i % 3}` });
  await until(() => Object.values(log).flat().length === 60);
  assert.equal(overlap, false);
  for (const [key, values] of Object.entries(log))
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      `order of ${key}`,
    );
});

test('a timed-out handler keeps its key until it has stopped: the next message never overlaps it', async (t) => {
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const { broker, runner } = setup(
    t,
    async (m: Message, ctx) => {
      const d = m.getData().toString();
      most = Math.max(most, ++running);
      log.push(`start ${d}`);
      if (d === 'slow') {
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
        await new Promise((r) => setTimeout(r, 30)); // cleaning up after the abort
      }
      running--;
      log.push(`end ${d}`);
      if (d === 'slow') throw ctx.signal.reason;
    },
    { concurrency: 1, timeoutMs: 40, retry: { maxAttempts: 1 } },
  );
  await runner.start();
  for (const d of ['slow', 'next'])
    await broker.store(TOPIC, { data: Buffer.from(d), partitionKey: 'K' });
  await until(() => log.includes('end next'));
  assert.deepEqual(log, ['start slow', 'end slow', 'start next', 'end next']);
  assert.equal(most, 1);
});

test('stop drains: in-flight handlers finish and are acked before the subscription closes', async (t) => {
  let finished = 0;
  const { broker, runner } = setup(t, async () => {
    await new Promise((r) => setTimeout(r, 100));
    finished++;
  });
  await runner.start();
  for (let i = 0; i < 4; i++)
    await broker.store(TOPIC, { data: Buffer.from(String(i)), partitionKey: `k${i}` });
  await until(() => runner.status().inFlight === 4);
  await runner.stop(2000);
  assert.equal(finished, 4);
  assert.equal(runner.status().state, 'stopped');
});

test('a throwing dead-letter publish nacks; the message comes back and is not lost', async (t) => {
  let runs = 0;
  const { broker, runner } = setup(
    t,
    async () => {
      runs++;
      if (runs === 1) {
        broker.connected = false;
        throw new NonRetryableError('first');
      }
    },
    { retry: { maxAttempts: 1 } },
  );
  await runner.start();
  await broker.store(TOPIC, { data: Buffer.from('x') });
  await until(() => runs === 1);
  broker.connected = true;
  await until(() => runs === 2);
});

test('many handlers in flight raise no listener-leak warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  let done = 0;
  const { broker, runner } = setup(
    t,
    async () => {
      await new Promise((r) => setTimeout(r, 30));
      done++;
    },
    { concurrency: 32 },
  );
  await runner.start();
  for (let i = 0; i < 64; i++)
    await broker.store(TOPIC, { data: Buffer.from(String(i)), partitionKey: `k${i}` });
  await until(() => done === 64);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, []);
});

test('the next message of a key starts while the previous ack commits; stop waits for the ack', async (t) => {
  const started: number[] = [];
  const { broker, runner } = setup(t, async () => {
    started.push(Date.now());
  });
  // Acks that take 1 s to be confirmed, as a (very) slow commit would.
  const subscribe = broker.subscribe.bind(broker);
  const confirmed: number[] = [];
  broker.subscribe = async (config) => {
    const consumer = await subscribe(config);
    const acknowledge = consumer.acknowledge.bind(consumer);
    consumer.acknowledge = async (m) => {
      await new Promise((r) => setTimeout(r, 1000));
      await acknowledge(m);
      confirmed.push(Date.now());
    };
    return consumer;
  };
  await runner.start();
  for (let i = 0; i < 3; i++)
    await broker.store(TOPIC, { data: Buffer.from(String(i)), partitionKey: 'one-key' });
  await until(() => started.length === 3);
  assert.equal(confirmed.length, 0, 'all three ran before the first ack was confirmed');
  await runner.stop(2000);
  assert.equal(confirmed.length, 3, 'stop returned before the acks were confirmed');
});

test('stop() while subscribing wins: the consumer is closed and the runner stays stopped', async (t) => {
  const broker = new FakeBroker();
  let closed = 0;
  const slow = Object.create(broker) as FakeBroker;
  slow.subscribe = async (config) => {
    await new Promise((r) => setTimeout(r, 100));
    const c = await broker.subscribe(config);
    const close = c.close.bind(c);
    c.close = async () => {
      closed++;
      await close();
    };
    return c;
  };
  const runner = new ConsumerRunner(
    defineConsumer({ topic: 'user-events', subscription: 'sub', handler: async () => undefined }),
    { broker: slow, deadLetterSink: async () => Promise.reject(new Error('unused')) },
  );
  t.after(() => runner.stop(100));
  const starting = runner.start();
  await new Promise((r) => setTimeout(r, 20));
  await runner.stop(1000);
  await starting;
  assert.equal(runner.status().state, 'stopped');
  assert.equal(runner.isHealthy(), false);
  assert.equal(closed, 1);
});

test('failing receives leave no abort listener behind on the stop signal', async (t) => {
  let failures = 0;
  const consumer = {
    receive: async () => {
      failures++;
      throw new Error('connection reset');
    },
    close: async () => undefined,
    isConnected: () => false,
  };
  const broker = { subscribe: async () => consumer } as unknown as FakeBroker;
  const runner = new ConsumerRunner(
    defineConsumer({
      topic: 't',
      subscription: 's',
      concurrency: 1,
      handler: async () => undefined,
    }),
    { broker, deadLetterSink: async () => Promise.reject(new Error('unused')) },
  );
  t.after(() => runner.stop(100));
  await runner.start();
  const signal = (runner as unknown as { stopController: AbortController }).stopController.signal;
  await until(() => failures >= 4, 10_000);
  // The receive loop's own listener, plus at most the one of the back-off under way.
  assert.ok(getEventListeners(signal, 'abort').length <= 2);
});
