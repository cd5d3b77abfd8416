import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import { FaultyBroker } from './faulty-broker.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

async function setup(t: Parameters<typeof startServiceUnderTest>[0]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-idempotent-retry-'));
  const broker = new FaultyBroker(await createEmbeddedBroker({ dataDir }));
  const s = await startServiceUnderTest(t, { broker }, {}, dataDir);
  return { s, broker };
}

/** Activity after the consumers had time to record copies, were there any. */
async function settledActivity(s: Awaited<ReturnType<typeof setup>>['s'], user: string, n: number) {
  const path = `/api/v1/users/${user}/activity`;
  await eventually(
    () => s.request('GET', path),
    (r) => r.body.data.items.length >= n,
  );
  await new Promise((r) => setTimeout(r, 300));
  return (await s.request('GET', path)).body.data.items as { eventId: string; itemId: string }[];
}

test('a batch refused after some events were stored, retried with its key, is recorded once', async (t) => {
  const { s, broker } = await setup(t);
  const events = ['a', 'b', 'c'].map((itemId) => ({ type: 'item.viewed', userId: 'erin', itemId }));
  const key = { 'idempotency-key': 'batch-1' };
  broker.receiptsToLose = 1;
  const refused = await s.request('POST', '/api/v1/events/batch', { events }, key);
  assert.equal(refused.status, 503);
  assert.equal(broker.receiptsToLose, 0);

  const retried = await s.request('POST', '/api/v1/events/batch', { events }, key);
  assert.equal(retried.status, 202);
  const ids = retried.body.data.items.map((i: { eventId: string }) => i.eventId);
  assert.equal(new Set(ids).size, 3);
  const items = await settledActivity(s, 'erin', 3);
  assert.deepEqual(items.map((i) => i.eventId).sort(), [...ids].sort());

  // The same key with another body is a conflict; a new key is a new set of events.
  const other = await s.request('POST', '/api/v1/events/batch', { events: events.slice(1) }, key);
  assert.equal(other.status, 409);
  const fresh = await s.request(
    'POST',
    '/api/v1/events/batch',
    { events },
    {
      'idempotency-key': 'batch-2',
    },
  );
  assert.equal(fresh.status, 202);
  const freshIds = fresh.body.data.items.map((i: { eventId: string }) => i.eventId);
  assert.equal(freshIds.filter((id: string) => ids.includes(id)).length, 0);
  assert.equal((await settledActivity(s, 'erin', 6)).length, 6);
});

test('a single event whose receipt was lost, retried with its key, is recorded once', async (t) => {
  const { s, broker } = await setup(t);
  const event = { type: 'item.viewed', userId: 'frank', itemId: 'z' };
  broker.receiptsToLose = 1;
  const refused = await s.request('POST', '/api/v1/events', event, { 'idempotency-key': 'one' });
  assert.equal(refused.status, 503);
  const retried = await s.request('POST', '/api/v1/events', event, { 'idempotency-key': 'one' });
  assert.equal(retried.status, 202);
  const items = await settledActivity(s, 'frank', 1);
  assert.deepEqual(
    items.map((i) => i.eventId),
    [retried.body.data.eventId],
  );
  // Without a key every request is a new event, even with the same body.
  const a = await s.request('POST', '/api/v1/events', event);
  const b = await s.request('POST', '/api/v1/events', event);
  assert.notEqual(a.body.data.eventId, b.body.data.eventId);
  assert.equal((await settledActivity(s, 'frank', 3)).length, 3);
});
