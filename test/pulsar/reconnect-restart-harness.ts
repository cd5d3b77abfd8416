// A standalone of the test's own (other ports than the shared one, so stopping or killing it
// cannot break concurrent tests), and steady traffic through the Broker contract across an
// interruption of it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Message, MessageId } from '../../src/broker/index.js';
import { createPulsarBroker, type PulsarBroker } from '../../src/broker/pulsar/index.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';

const CLI = fileURLToPath(new URL('../../scripts/pulsar/cli.mjs', import.meta.url));
export const PORTS = { broker: 6750, web: 8180, bookie: 3281 };

/** The subscription that holds every message of a traffic topic for `storedCounts`. */
const AUDIT_SUBSCRIPTION = 'audit';
export const PRIVATE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PULSAR_BROKER_PORT: String(PORTS.broker),
  PULSAR_WEB_PORT: String(PORTS.web),
  PULSAR_BOOKIE_PORT: String(PORTS.bookie),
};
export const SERVICE_URL = `pulsar://127.0.0.1:${PORTS.broker}`;
export const ADMIN_URL = `http://127.0.0.1:${PORTS.web}`;

/** Runs `scripts/pulsar/cli.mjs` for the private standalone. */
export function privateBroker(command: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CLI, ...command], { env: PRIVATE_ENV }, (err, stdout, stderr) =>
      err ? reject(new Error(`cli.mjs ${command.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** Starts the private standalone with namespace deduplication on; wiped when the test ends. */
export async function startPrivateBroker(t: TestContext): Promise<void> {
  await privateBroker(['start']);
  // The harness keeps one run dir per broker port; --wipe removes this one's data.
  t.after(() => privateBroker(['stop', '--wipe']).catch(() => undefined));
  await new PulsarAdmin({ baseUrl: ADMIN_URL }).setDeduplication('public/default', true);
}

export async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Traffic {
  broker: PulsarBroker;
  topic: string;
  /** Payloads `m-<i>` in send order. */
  sent: string[];
  ids: MessageId[];
  /** Payload -> times the listener got it. */
  received: Map<string, number>;
  downMs: number;
}

/**
 * A producer sends a message every 20 ms and a listener acks what it gets; after 100
 * messages `interrupt` takes the broker away and brings it back, traffic goes on until 50
 * more arrived, then every send must resolve and every message arrive.
 */
export async function trafficThrough(
  t: TestContext,
  interrupt: (broker: PulsarBroker) => Promise<void>,
): Promise<Traffic> {
  const broker = await createPulsarBroker({
    serviceUrl: SERVICE_URL,
    adminUrl: ADMIN_URL,
    client: { maxBackoffIntervalMs: 2000, operationTimeoutMs: 10_000 },
  });
  t.after(() => broker.close());
  const topic = `persistent://public/default/restart-${Date.now()}`;
  const received = new Map<string, number>();
  const consumer = await broker.subscribe({
    topic,
    subscription: 'restart',
    subscriptionType: 'Shared',
    listener: async (m: Message, c) => {
      const key = m.getData().toString();
      received.set(key, (received.get(key) ?? 0) + 1);
      await c.acknowledge(m);
    },
  });
  t.after(() => consumer.close());
  // Without retention Pulsar deletes ledgers that every subscription has acked, so the audit
  // after the test could start past them. A subscription that never acks keeps them stored.
  const audit = await broker.subscribe({
    topic,
    subscription: AUDIT_SUBSCRIPTION,
    subscriptionInitialPosition: 'Earliest',
  });
  await audit.close();
  const producer = await broker.createProducer({
    topic,
    producerName: 'restart-test',
    sendTimeoutMs: 0, // queue through the outage instead of failing sends
    maxPendingMessages: 20_000,
    batchingMaxPublishDelayMs: 5,
  });
  const sends: Array<Promise<MessageId>> = [];
  let sending = true;
  const sender = (async () => {
    for (let i = 0; sending; i++) {
      const send = producer.send({ data: Buffer.from(`m-${i}`) });
      // Awaited below on success; after a failed check nothing awaits them.
      send.catch(() => undefined);
      sends.push(send);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // A failed check must not leave this loop's timer keeping the test process alive.
  t.after(() => {
    sending = false;
  });
  await waitFor('traffic before the interruption', () => received.size >= 100, 30_000);
  const stoppedAt = Date.now();
  await interrupt(broker);
  const downMs = Date.now() - stoppedAt;
  const sentByThen = sends.length;
  await waitFor('traffic after the interruption', () => received.size > sentByThen + 50, 120_000);
  sending = false;
  await sender;
  const ids = await Promise.all(sends);
  await waitFor('every message', () => received.size >= sends.length, 60_000);
  await new Promise((r) => setTimeout(r, 1000)); // a late duplicate would show up here
  assert.ok(producer.isConnected());
  assert.ok(broker.isConnected());
  return {
    broker,
    topic,
    sent: sends.map((_, i) => `m-${i}`),
    ids,
    received,
    downMs,
  };
}

/** How many times each payload is stored in the topic, read through the audit subscription. */
export async function storedCounts(topic: string): Promise<Map<string, number>> {
  const { PulsarClient } = await import('../../src/pulsar/index.js');
  const client = new PulsarClient({ serviceUrl: SERVICE_URL });
  try {
    const audit = await client.subscribe({
      topic,
      subscription: AUDIT_SUBSCRIPTION,
      subscriptionInitialPosition: 'Earliest',
    });
    const counts = new Map<string, number>();
    for (;;) {
      try {
        const m = await audit.receive(3000);
        const key = m.getData().toString();
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } catch {
        return counts;
      }
    }
  } finally {
    await client.close();
  }
}
