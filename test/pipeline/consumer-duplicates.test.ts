import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activityConsumer } from '../../src/app/activity/activity-consumer.js';
import { ActivityStore } from '../../src/app/activity/activity-store.js';
import { openServiceDatabase } from '../../src/app/db/database.js';
import { recommendationConsumer } from '../../src/app/recommendations/recommendation-consumer.js';
import { RecommendationStore } from '../../src/app/recommendations/recommendation-store.js';
import { encodeEvent, type DomainEvent } from '../../src/messaging/index.js';
import { fakeMessage } from '../messaging/fake-broker.js';
import { fakeContext } from '../messaging/fake-context.js';

function database(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-consumers-'));
  const db = openServiceDatabase(join(dir, 'magnetar.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return db;
}

const event = (eventId: string, itemId: string): DomainEvent => ({
  eventId,
  type: 'item.viewed',
  userId: 'u1',
  itemId,
  occurredAt: new Date().toISOString(),
});

/** Runs the consumer's handler on one delivery; returns how the handler settled it. */
async function deliver(
  handler: ReturnType<typeof activityConsumer>['handler'],
  e: DomainEvent,
): Promise<string[]> {
  const message = fakeMessage(encodeEvent(e), { eventId: e.eventId });
  const ctx = fakeContext(message);
  await handler(message, ctx);
  return ctx.calls.map((c) => c.kind);
}

test('activity records a redelivered event once and settles the copy as a duplicate', async (t) => {
  const db = database(t);
  const { handler, dedupe } = activityConsumer(db);
  assert.equal(dedupe, false, 'the unique event id is the only dedupe');
  assert.deepEqual(await deliver(handler, event('e1', 'camera')), []);
  assert.deepEqual(await deliver(handler, event('e1', 'camera')), ['skip']);
  assert.deepEqual(await deliver(handler, event('e2', 'lens')), []);
  assert.equal(new ActivityStore(db).countFor('u1'), 2);
});

test('recommendations count a redelivered view once, inside the shared commit or alone', async (t) => {
  const db = database(t);
  const { handler } = recommendationConsumer(db);
  const settled = await Promise.all([
    deliver(handler, event('e1', 'camera')),
    deliver(handler, event('e1', 'camera')),
    deliver(handler, event('e2', 'camera')),
  ]);
  // The copy is settled as a duplicate (messaging_messages_skipped_total), as in activity.
  assert.deepEqual(settled, [[], ['skip'], []]);
  const store = new RecommendationStore(db);
  // Outside any transaction the store opens its own.
  assert.equal(store.record(event('e2', 'camera')), false);
  assert.equal(store.record(event('e3', 'tripod')), true);
  const views = db
    .prepare('SELECT item_id, views FROM rec_views WHERE user_id = ? ORDER BY item_id')
    .all('u1');
  assert.deepEqual(views, [
    { item_id: 'camera', views: 2 },
    { item_id: 'tripod', views: 1 },
  ]);
});

test('a failing view inside a shared commit leaves no partial counts behind', async (t) => {
  const db = database(t);
  const store = new RecommendationStore(db);
  const bad = { ...event('e9', 'camera'), userId: null } as unknown as DomainEvent;
  assert.throws(() => db.transaction(() => store.record(bad))());
  const seen = db.prepare('SELECT count(*) AS n FROM rec_seen_events').get() as { n: number };
  assert.equal(seen.n, 0);
});
