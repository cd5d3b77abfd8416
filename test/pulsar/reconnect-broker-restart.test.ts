// magnetar:needs-pulsar (runs its own standalone on other ports; the shared one is untouched)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import type { Message, MessageId } from '../../src/broker/index.js';

const CLI = fileURLToPath(new URL('../../scripts/pulsar/cli.mjs', import.meta.url));
// Ports of a standalone of this test's own, so stopping it cannot break concurrent tests.
const PORTS = { broker: 6750, web: 8180, bookie: 3281 };

function harness(command: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CLI, ...command], { env }, (err, stdout, stderr) =>
      err ? reject(new Error(`cli.mjs ${command.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

test(
  'a producer and a consumer ride out a broker restart: nothing lost, nothing twice with dedup on',
  { timeout: 600_000 },
  async (t) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULSAR_BROKER_PORT: String(PORTS.broker),
      PULSAR_WEB_PORT: String(PORTS.web),
      PULSAR_BOOKIE_PORT: String(PORTS.bookie),
    };
    await harness(['start'], env);
    // The harness keeps one run dir per broker port; --wipe removes this one's data.
    t.after(() => harness(['stop', '--wipe'], env).catch(() => undefined));
    const serviceUrl = `pulsar://127.0.0.1:${PORTS.broker}`;
    const adminUrl = `http://127.0.0.1:${PORTS.web}`;
    await new PulsarAdmin({ baseUrl: adminUrl }).setDeduplication('public/default', true);

    const broker = await createPulsarBroker({
      serviceUrl,
      adminUrl,
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
    const producer = await broker.createProducer({
      topic,
      producerName: 'restart-test',
      sendTimeoutMs: 0, // queue through the restart instead of failing sends
      maxPendingMessages: 20_000,
      batchingMaxPublishDelayMs: 5,
    });

    // Sends one message every 20 ms until told to stop; every promise is kept.
    const sends: Array<Promise<MessageId>> = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        sends.push(producer.send({ data: Buffer.from(`m-${i}`) }));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const waitFor = async (what: string, cond: () => boolean, ms: number) => {
      const until = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    await waitFor('traffic before the restart', () => received.size >= 100, 30_000);
    const stoppedAt = Date.now();
    await harness(['stop'], env);
    // Readiness follows the connection: the broker reports itself down while it is away.
    await waitFor('isConnected() false', () => !broker.isConnected(), 10_000);
    const sentWhileDown = sends.length;
    await harness(['start'], env);
    const downMs = Date.now() - stoppedAt;
    await waitFor('traffic after the restart', () => received.size > sentWhileDown + 50, 120_000);
    sending = false;
    await sender;
    const ids = await Promise.all(sends);
    await waitFor('every message', () => received.size >= sends.length, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // a late duplicate would show up here

    const missing = sends.map((_, i) => `m-${i}`).filter((k) => !received.has(k));
    const twice = [...received].filter(([, n]) => n > 1).map(([k]) => k);
    t.diagnostic(
      `sent ${sends.length}, received ${received.size}, broker down ${downMs} ms, ` +
        `duplicate receipts ${ids.filter((id) => id.ledgerId >= 2n ** 63n).length}`,
    );
    assert.deepEqual(missing, []);
    assert.deepEqual(twice, []);
    assert.ok(producer.isConnected());
    assert.ok(broker.isConnected());
  },
);
