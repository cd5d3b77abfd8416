// magnetar:needs-pulsar (runs its own standalone on other ports; the shared one is untouched)
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  privateBroker,
  startPrivateBroker,
  storedCounts,
  trafficThrough,
  waitFor,
} from './reconnect-restart-harness.js';

const DUP_RECEIPT = 2n ** 63n; // the broker answers a dropped duplicate with id -1:-1

/**
 * Nothing lost, and what the topic stores holds every message exactly once. Receiving one
 * twice is allowed: an ack the broker had not stored when it went away (acks have no receipt)
 * brings its message back, as with the Java client; delivery is at-least-once.
 */
async function assertStoredOnce(
  t: TestContext,
  r: Awaited<ReturnType<typeof trafficThrough>>,
): Promise<void> {
  const missing = r.sent.filter((k) => !r.received.has(k));
  const stored = await storedCounts(r.topic);
  const storedTwice = [...stored].filter(([, n]) => n > 1).map(([k]) => k);
  const notStored = r.sent.filter((k) => !stored.has(k));
  t.diagnostic(
    `sent ${r.sent.length}, received ${r.received.size} distinct, ` +
      `redelivered ${[...r.received.values()].filter((n) => n > 1).length}, ` +
      `broker down ${r.downMs} ms, stored ${stored.size}, ` +
      `duplicates dropped by the broker ${r.ids.filter((id) => id.ledgerId >= DUP_RECEIPT).length}`,
  );
  assert.deepEqual(missing, []);
  assert.deepEqual(notStored, []);
  assert.deepEqual(storedTwice, []);
}

test(
  'a producer and a consumer ride out a broker restart: nothing lost, stored once with dedup on',
  { timeout: 600_000 },
  async (t) => {
    await startPrivateBroker(t);
    const r = await trafficThrough(t, async (broker) => {
      await privateBroker(['stop']);
      // Readiness follows the connection: the broker reports itself down while it is away.
      await waitFor('isConnected() false', () => !broker.isConnected(), 10_000);
      await privateBroker(['start']);
    });
    await assertStoredOnce(t, r);
  },
);

test(
  'after kill -9 of the broker, resent messages are stored once (dedup) and none is lost',
  { timeout: 600_000 },
  async (t) => {
    await startPrivateBroker(t);
    const r = await trafficThrough(t, async () => {
      const status = await privateBroker(['status']);
      const pid = Number(/pid (\d+)/.exec(status)?.[1]);
      assert.ok(pid > 0, status);
      process.kill(pid, 'SIGKILL');
      await privateBroker(['start']);
    });
    await assertStoredOnce(t, r);
  },
);
