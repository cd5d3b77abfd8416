import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterAdmin, FAILURE_PROPERTIES, ProducerPool } from '../../src/messaging/index.js';
import { BrokerError, createEmbeddedBroker, type Broker } from '../../src/broker/index.js';
import { FakeBroker } from './fake-broker.js';

const T = 'persistent://public/default/user-events';
const DLQ = `${T}-activity-DLQ`;

async function seed(broker: Broker, n: number): Promise<void> {
  const producer = await broker.createProducer({ topic: DLQ });
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      producer.send({
        data: Buffer.from(`{"n":${i}}`),
        properties: {
          eventId: `e-${i}`,
          [FAILURE_PROPERTIES.originalTopic]: T,
          [FAILURE_PROPERTIES.subscription]: 'activity',
        },
      }),
    ),
  );
  await producer.close();
}

/** Every event id stored in the topic (the admin read, which sees the file as it is). */
async function eventIds(broker: Broker, topic: string): Promise<string[]> {
  const out: string[] = [];
  let after;
  for (;;) {
    const page = await broker.admin.readMessages(topic, { after, limit: 500 });
    if (page.length === 0) return out;
    for (const m of page) out.push(m.getProperties().eventId);
    after = page[page.length - 1].getMessageId();
  }
}

function adminOf(broker: Broker, send?: (n: number) => void): DeadLetterAdmin {
  const pool = new ProducerPool(broker);
  let sends = 0;
  return new DeadLetterAdmin(broker, async (topic, m) => {
    send?.(++sends);
    return (await pool.get(topic)).send(m);
  });
}

async function brokers(t: { after(fn: () => unknown): void }, count: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-replay-once-'));
  const all: Broker[] = [];
  for (let i = 0; i < count; i++) all.push(await createEmbeddedBroker({ dataDir }));
  t.after(async () => {
    for (const b of all) await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return all;
}

test('concurrent replays, on one broker and on two connections to its file, send each letter once', async (t) => {
  const [a, b] = await brokers(t, 2);
  const N = 600;
  await seed(a, N);
  // Two replays through one broker (the API twice), one through another connection (the CLI).
  const results = await Promise.all([adminOf(a), adminOf(a), adminOf(b)].map((x) => x.replay()));
  const counts = results.map((r) => r.replayed);
  assert.equal(
    counts.reduce((x, y) => x + y, 0),
    N,
    `replayed ${counts.join(' + ')}`,
  );
  const replayed = await eventIds(a, T);
  assert.equal(replayed.length, N, 'the original topic got each letter once');
  assert.equal(new Set(replayed).size, N);
  assert.deepEqual(await eventIds(a, DLQ), []);
  // The new ids the replays report are the stored messages, none twice.
  const ids = results.flatMap((r) => r.messageIds);
  assert.equal(new Set(ids).size, N);
});

test('concurrent replays of the same ids replay each once', async (t) => {
  const [a, b] = await brokers(t, 2);
  await seed(a, 10);
  const ids = (await adminOf(a).list()).items.slice(0, 4).map((d) => d.messageId);
  const results = await Promise.all(
    [adminOf(a), adminOf(a), adminOf(b), adminOf(b)].map((x) => x.replay({ ids })),
  );
  assert.equal(
    results.reduce((n, r) => n + r.replayed, 0),
    4,
  );
  assert.equal((await eventIds(a, T)).length, 4);
  assert.equal((await eventIds(a, DLQ)).length, 6);
});

test('without moves (as on Pulsar), replays in one process take turns and send each letter once', async () => {
  const broker = new FakeBroker();
  const N = 120;
  await seed(broker, N);
  const results = await Promise.all([adminOf(broker), adminOf(broker)].map((x) => x.replay()));
  assert.equal(results[0].replayed + results[1].replayed, N);
  assert.equal((await eventIds(broker, T)).length, N);
  assert.deepEqual(await eventIds(broker, DLQ), []);
});

test('a replay whose send fails half-way leaves each letter replayed or still there, not both', async (t) => {
  const [a] = await brokers(t, 1);
  const N = 50;
  await seed(a, N);
  const failing = adminOf(a, (n) => {
    if (n === 23) throw new BrokerError('NotConnected', 'broker went away');
  });
  await assert.rejects(failing.replay(), /broker went away/);
  const replayed = await eventIds(a, T);
  const left = await eventIds(a, DLQ);
  assert.equal(replayed.length, 22);
  assert.equal(replayed.length + left.length, N);
  assert.equal(new Set([...replayed, ...left]).size, N);
  // The next replay sends the rest, once.
  assert.equal((await adminOf(a).replay()).replayed, N - 22);
  assert.equal(new Set(await eventIds(a, T)).size, N);
});
