import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { runMigrations } from '../../src/app/db/migrate.js';
import { RECOMMENDATION_MIGRATIONS } from '../../src/app/recommendations/recommendation-migrations.js';
import { RecommendationStore, isView } from '../../src/app/recommendations/recommendation-store.js';

function store(): RecommendationStore {
  const db = new BetterSqlite3(':memory:');
  runMigrations(db, RECOMMENDATION_MIGRATIONS);
  return new RecommendationStore(db);
}

let n = 0;
function record(s: RecommendationStore, userId: string, itemId: string, type = 'item.viewed') {
  return s.record({
    eventId: `e-${++n}`,
    type,
    userId,
    itemId,
    occurredAt: '2026-11-28T10:00:00.000Z',
  });
}

const ranked = (s: RecommendationStore, userId: string, limit = 5) =>
  s.recommend(userId, limit).items.map((i) => `${i.itemId}:${i.reason}:${i.score}`);

test('views are events whose type ends in .viewed', () => {
  assert.ok(isView('item.viewed'));
  assert.ok(isView('product.viewed'));
  for (const type of ['item.disliked', 'item.refund_requested', 'viewed', 'item.viewed.not'])
    assert.equal(isView(type), false, type);
});

test('events other than views neither make peers nor count as views or popularity', () => {
  const s = store();
  record(s, 'alice', 'book');
  record(s, 'bob', 'book', 'item.disliked');
  record(s, 'bob', 'broken-toaster', 'item.refund_requested');
  record(s, 'carol', 'book');
  record(s, 'carol', 'lamp');
  // bob viewed nothing: he is no peer of alice's, and the toaster nobody viewed is no pick.
  assert.deepEqual(ranked(s, 'alice'), ['lamp:co-viewed:1']);
  assert.deepEqual(ranked(s, 'newcomer'), ['book:popular:2', 'lamp:popular:1']);
  assert.equal(s.recommend('bob', 5).basedOnItems, 0);
});

test('an item the user acted on without viewing it is not recommended to them', () => {
  const s = store();
  record(s, 'alice', 'book');
  record(s, 'alice', 'lamp', 'item.disliked');
  record(s, 'carol', 'book');
  record(s, 'carol', 'lamp');
  record(s, 'carol', 'pen');
  assert.deepEqual(ranked(s, 'alice'), ['pen:co-viewed:1']);
  assert.equal(s.recommend('alice', 5).basedOnItems, 1);
});

test('a view after another event on the item counts as a view, once per viewer', () => {
  const s = store();
  record(s, 'bob', 'lamp', 'item.disliked');
  record(s, 'bob', 'lamp');
  record(s, 'bob', 'lamp');
  record(s, 'carol', 'lamp');
  assert.deepEqual(ranked(s, 'newcomer'), ['lamp:popular:2']);
  assert.equal(s.recommend('bob', 5).basedOnItems, 1);
});

test('an event id is counted once', () => {
  const s = store();
  const event = {
    eventId: 'same',
    type: 'item.viewed',
    userId: 'bob',
    itemId: 'lamp',
    occurredAt: '2026-11-28T10:00:00.000Z',
  };
  assert.equal(s.record(event), true);
  assert.equal(s.record({ ...event, userId: 'carol' }), false);
  assert.deepEqual(ranked(s, 'newcomer'), ['lamp:popular:1']);
});
