import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import { FAILURE_PROPERTIES } from '../../src/messaging/index.js';
import { FaultyBroker } from './faulty-broker.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

const EVENT = { type: 'item.viewed', userId: 'dave', itemId: 'i' };

async function setup(t: Parameters<typeof startServiceUnderTest>[0], maxInFlight = 10_000) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-backpressure-'));
  const broker = new FaultyBroker(await createEmbeddedBroker({ dataDir }));
  const s = await startServiceUnderTest(t, { broker, publisher: { maxInFlight } }, {}, dataDir);
  return { s, broker };
}

test('broker unavailable: 503 with Retry-After at once, readiness fails, and it recovers', async (t) => {
  const { s, broker } = await setup(t);
  assert.equal((await s.request('POST', '/api/v1/events', EVENT)).status, 202);
  broker.down = true;
  const started = Date.now();
  const refused = await s.request('POST', '/api/v1/events', EVENT);
  const batch = await s.request('POST', '/api/v1/events/batch', { events: [EVENT, EVENT] });
  assert.ok(Date.now() - started < 500, 'refused quickly');
  assert.equal(refused.status, 503);
  assert.equal(refused.body.code, 50301);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal(batch.status, 503);
  const ready = await s.request('GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.broker.ok, false);

  broker.down = false;
  assert.equal((await s.request('POST', '/api/v1/events', EVENT)).status, 202);
  assert.equal((await s.request('GET', '/readyz')).status, 200);
  await eventually(
    () => s.request('GET', '/api/v1/users/dave/activity'),
    (r) => r.body.data.items.length === 2,
  );
});

test('publisher full: 503 at once instead of queueing; the held publishes complete; it recovers', async (t) => {
  const { s, broker } = await setup(t, 4);
  broker.holdSends();
  const held = Array.from({ length: 4 }, () => s.request('POST', '/api/v1/events', EVENT));
  await eventually(
    async () => (await fetch(s.url + '/metrics')).text(),
    (text) => /messaging_publish_in_flight 4/.test(text),
  );
  const started = Date.now();
  const refused = await s.request('POST', '/api/v1/events', EVENT);
  assert.ok(Date.now() - started < 500, 'refused quickly');
  assert.equal(refused.status, 503);
  assert.equal(refused.body.code, 50302);
  assert.equal(refused.headers.get('retry-after'), '1');
  broker.releaseSends();
  const done = await Promise.all(held);
  assert.deepEqual(
    done.map((r) => r.status),
    [202, 202, 202, 202],
  );
  assert.equal((await s.request('POST', '/api/v1/events', EVENT)).status, 202);
  // A batch larger than the whole bound is refused, never half-published.
  const tooBig = await s.request('POST', '/api/v1/events/batch', {
    events: [EVENT, EVENT, EVENT, EVENT, EVENT],
  });
  assert.equal(tooBig.status, 503);
  await eventually(
    () => s.request('GET', '/api/v1/users/dave/activity'),
    (r) => r.body.data.items.length === 5,
  );
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(metrics, /messaging_publish_failures_total\{[^}]*outcome="rejected"\} 6/);
});

test('a topic the cluster does not have: events and DLQ replays to it are 503, not 500', async (t) => {
  const { s, broker } = await setup(t);
  const letter = await broker.createProducer({ topic: 'user-events-activity-DLQ' });
  await letter.send({
    data: Buffer.from(JSON.stringify({ ...EVENT, eventId: 'e-1', occurredAt: new Date() })),
    properties: { [FAILURE_PROPERTIES.originalTopic]: 'persistent://public/default/user-events' },
  });
  broker.missingTopics.add('persistent://public/default/user-events');
  const refused = await s.request('POST', '/api/v1/events', EVENT);
  assert.equal(refused.status, 503);
  assert.equal(refused.body.code, 50301);
  const replay = await s.request('POST', '/api/v1/admin/dlq/replay', {});
  assert.equal(replay.status, 503, JSON.stringify(replay.body));
  assert.equal(replay.body.code, 50301);
  assert.equal(replay.headers.get('retry-after'), '5');
  // Nothing was lost: the letter waits for the topic to be back.
  assert.equal((await s.request('GET', '/api/v1/admin/dlq')).body.data.items.length, 1);
});
