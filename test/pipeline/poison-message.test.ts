import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import {
  decodeEvent,
  FAILURE_PROPERTIES,
  type DomainEvent,
  type Middleware,
} from '../../src/messaging/index.js';
import { eventually, startServiceUnderTest } from './service-harness.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const POISON = {
  eventId: 'poison-1',
  type: 'item.viewed',
  // An older producer sent numeric user ids; the consumers expect strings.
  userId: 42,
  itemId: 'p1',
  occurredAt: '2026-01-01T00:00:00.000Z',
};

/** The fixed decoder: also reads the older format with numeric user ids. */
function lenientDecode(data: Buffer): DomainEvent {
  const raw = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  if (typeof raw.userId === 'number') raw.userId = String(raw.userId);
  return decodeEvent(Buffer.from(JSON.stringify(raw)));
}

test('a malformed message is retried maxAttempts times with growing delays, dead-lettered with its reason, and replayed after a fix', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-poison-'));
  const attempts: Array<{ subscription: string; attempt: number; at: number }> = [];
  const recordAttempts: Middleware = (next) => async (message, ctx) => {
    if (message.getProperties().eventId === 'poison-1')
      attempts.push({ subscription: ctx.subscription, attempt: ctx.attempt, at: Date.now() });
    return next(message, ctx);
  };
  const consumers = {
    retry: { maxAttempts: 4, backoff: { initialMs: 150, multiplier: 2, jitter: 0.2 } },
    middleware: [recordAttempts],
  };
  const broker = await createEmbeddedBroker({ dataDir });
  const s = await startServiceUnderTest(t, { broker, consumers }, {}, dataDir);

  const producer = await broker.createProducer({ topic: 'user-events' });
  await producer.send({
    data: Buffer.from(JSON.stringify(POISON)),
    partitionKey: '42',
    properties: { eventId: 'poison-1' },
  });
  await producer.close();

  const listed = await eventually(
    () => s.request('GET', '/api/v1/admin/dlq?topic=user-events'),
    (r) => r.body.data.items.length === 2,
    15_000,
  );
  for (const subscription of ['activity', 'recommendations']) {
    const mine = attempts.filter((a) => a.subscription === subscription);
    assert.deepEqual(
      mine.map((a) => a.attempt),
      [1, 2, 3, 4],
      `${subscription} attempts`,
    );
    const gaps = mine.slice(1).map((a, i) => a.at - mine[i].at);
    // Backoff 150, 300, 600 ms less up to 20% jitter: each gap at least its growing floor (a
    // busy machine may stretch a gap, never shorten it below the backoff).
    gaps.forEach((gap, i) => assert.ok(gap >= 0.8 * 150 * 2 ** i - 10, `gaps ${gaps}`));
  }
  for (const dead of listed.body.data.items) {
    assert.equal(dead.reason.attempts, 4);
    assert.equal(dead.reason.errorCode, 'MALFORMED_EVENT');
    assert.match(dead.reason.error, /userId/);
    assert.equal(dead.reason.originalTopic, 'persistent://public/default/user-events');
    assert.match(dead.reason.originalMessageId, /^\d+:\d+:-1$/);
    assert.ok(dead.reason.firstFailureAt < dead.reason.lastFailureAt);
    assert.equal(dead.key, '42');
    assert.equal(JSON.parse(dead.data).eventId, 'poison-1');
    assert.equal(dead.properties[FAILURE_PROPERTIES.subscription], dead.reason.subscription);
  }

  // Not a crash loop: the consumers still run and handle good events.
  const good = await s.request('POST', '/api/v1/events', { type: 'item.viewed', userId: 'ok' });
  assert.equal(good.status, 202);
  await eventually(
    () => s.request('GET', '/api/v1/users/ok/activity'),
    (r) => r.body.data.items.length === 1,
  );
  assert.equal((await s.request('GET', '/readyz')).status, 200);
  assert.equal((await s.request('GET', '/api/v1/users/42/activity')).body.data.items.length, 0);
  // Shut down with the strict consumers; the poison stays in the dead-letter topics.
  await s.service.shutdown.run('deploying the fix');

  // The fix is deployed: same data dir, consumers that read the older format.
  const fixedBroker = await createEmbeddedBroker({ dataDir });
  const fixed = await startServiceUnderTest(
    t,
    { broker: fixedBroker, consumers, decode: lenientDecode },
    {},
    dataDir,
  );
  assert.equal(
    (await fixed.request('GET', '/api/v1/admin/dlq?subscription=activity')).body.data.items.length,
    1,
  );
  const replay = await fixed.request('POST', '/api/v1/admin/dlq/replay', { topic: 'user-events' });
  assert.equal(replay.status, 200);
  assert.equal(replay.body.data.replayed, 2);
  const activity = await eventually(
    () => fixed.request('GET', '/api/v1/users/42/activity'),
    (r) => r.body.data.items.length === 1,
  );
  assert.equal(activity.body.data.items[0].eventId, 'poison-1');
  assert.equal((await fixed.request('GET', '/api/v1/admin/dlq')).body.data.items.length, 0);
  // Two copies were replayed (one per subscription's dead letter); activity holds it once.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await fixed.request('GET', '/api/v1/users/42/activity')).body.data.items.length, 1);
  const purge = await fixed.request('DELETE', '/api/v1/admin/dlq');
  assert.equal(purge.body.data.deleted, 0);
});
