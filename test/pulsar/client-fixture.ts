import type { TestContext } from 'node:test';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { PulsarClient, type Consumer, type Message } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

export { freshTopic };

/** A client on the standalone broker, closed when the test ends. */
export async function clientFor(t: TestContext): Promise<PulsarClient> {
  const { serviceUrl } = await ensurePulsar();
  const client = new PulsarClient({ serviceUrl, operationTimeoutMs: 20_000 });
  t.after(() => client.close());
  return client;
}

/**
 * A fresh partitioned topic on the standalone, with a client (closed when the test ends) and
 * the admin API.
 */
export async function partitionedTopicFor(t: TestContext, prefix: string, partitions: number) {
  const env = await ensurePulsar();
  const admin = new PulsarAdmin({ baseUrl: env.adminUrl });
  const client = await clientFor(t);
  const topic = freshTopic(prefix);
  await admin.createPartitionedTopic(topic, partitions);
  return { env, admin, client, topic };
}

/** Receives until `n` messages arrived (or throws Timeout from receive). */
export async function receiveN(
  consumer: Consumer,
  n: number,
  timeoutMs = 10_000,
): Promise<Message[]> {
  const out: Message[] = [];
  while (out.length < n) out.push(await consumer.receive(timeoutMs));
  return out;
}

/** Resolves with whatever arrives within `ms` (used to show that nothing more comes). */
export async function drainFor(consumer: Consumer, ms: number): Promise<Message[]> {
  const out: Message[] = [];
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) return out;
    try {
      out.push(await consumer.receive(left));
    } catch {
      return out;
    }
  }
}

export const text = (m: Message) => m.getData().toString();

/**
 * Receives on all `consumers` at once (acking each message) until `total` messages arrived
 * in all, then listens `quietMs` longer so extra deliveries would show. Returns what each got.
 */
export async function collectFrom(
  consumers: Consumer[],
  total: number,
  { timeoutMs = 30_000, quietMs = 500 } = {},
): Promise<Message[][]> {
  const got: Message[][] = consumers.map(() => []);
  let count = 0;
  let done = false;
  const loops = consumers.map(async (c, i) => {
    while (!done) {
      try {
        const m = await c.receive(100);
        got[i].push(m);
        count++;
        await c.acknowledge(m);
      } catch {
        // receive timed out: look at `done` again
      }
    }
  });
  const deadline = Date.now() + timeoutMs;
  while (count < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, quietMs));
  done = true;
  await Promise.all(loops);
  return got;
}
