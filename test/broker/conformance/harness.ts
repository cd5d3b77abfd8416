import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import {
  type Broker,
  type Consumer,
  type Message,
  fullTopicName,
  isBrokerError,
} from '../../../src/broker/index.js';
import type {
  BrokerFactory,
  BrokerFeatures,
  BrokerUnderTest,
  ConformanceTiming,
} from '../conformance.js';

export interface Harness {
  backend: string;
  features: BrokerFeatures;
  timing: ConformanceTiming;
  /** A broker for this test, cleaned up when the test ends. */
  open(t: TestContext): Promise<BrokerUnderTest>;
  /** A topic name no other test (or earlier run) uses. */
  topic(label: string): string;
  /** Marks the test skipped when the backend lacks the feature; returns true when skipped. */
  lacks(t: TestContext, feature: keyof BrokerFeatures): boolean;
}

export function makeHarness(
  backend: string,
  makeBroker: BrokerFactory,
  features: BrokerFeatures,
  timing: ConformanceTiming,
): Harness {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return {
    backend,
    features,
    timing,
    async open(t) {
      const env = await makeBroker({ testName: t.name });
      t.after(() => env.cleanup());
      return env;
    },
    topic(label) {
      return fullTopicName(`conformance-${run}-${++n}-${label}`);
    },
    lacks(t, feature) {
      if (features[feature] === false || features[feature] === undefined) {
        t.skip(`feature ${feature} not supported by ${backend}`);
        return true;
      }
      return false;
    },
  };
}

export function text(m: Message): string {
  return m.getData().toString('utf8');
}

/** Receives exactly `count` messages (each within the harness timeout). */
export async function receiveN(h: Harness, c: Consumer, count: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) out.push(await c.receive(h.timing.receiveTimeoutMs));
  return out;
}

/** Asserts that nothing arrives within the quiet period. */
export async function assertNothing(h: Harness, c: Consumer, ms = h.timing.quietMs): Promise<void> {
  try {
    const m = await c.receive(ms);
    assert.fail(`expected no message, got ${text(m)} (${m.getMessageId().toString()})`);
  } catch (err) {
    if (!isBrokerError(err, 'Timeout')) throw err;
  }
}

/** Sends `count` messages `${prefix}-${i}` and returns their ids in order. */
export async function publish(
  broker: Broker,
  topic: string,
  count: number,
  prefix = 'm',
  extra: (i: number) => { partitionKey?: string; properties?: Record<string, string> } = () => ({}),
) {
  const producer = await broker.createProducer({ topic });
  const ids = [];
  for (let i = 0; i < count; i++) {
    ids.push(await producer.send({ data: Buffer.from(`${prefix}-${i}`), ...extra(i) }));
  }
  await producer.close();
  return ids;
}

export function range(count: number, prefix = 'm'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

export async function expectBrokerError(
  promise: Promise<unknown> | (() => unknown),
  code: Parameters<typeof isBrokerError>[1],
): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    assert.ok(isBrokerError(err, code), `expected BrokerError ${code}, got ${String(err)}`);
    return;
  }
  assert.fail(`expected BrokerError ${code}, but the call succeeded`);
}

/** Rejects if `promise` does not settle within `ms`; leaves no timer behind. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
