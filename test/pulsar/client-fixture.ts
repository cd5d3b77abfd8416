import type { TestContext } from 'node:test';
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
