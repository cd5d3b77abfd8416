import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openServiceDatabase } from '../../src/app/db/database.js';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore } from '../../src/app/events/idempotency-store.js';

function setup(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-idempotency-'));
  const db = openServiceDatabase(join(dir, 'magnetar.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const clock = { now: 1_000_000 };
  return { store: new IdempotencyStore(db, () => clock.now), clock };
}

/** Runs the store once; `fail` makes produce throw as a refused publish does. */
async function attempt(store: IdempotencyStore, body: unknown, fail: boolean) {
  let seed = '';
  const run = store.run('alice events', 'k', body, async (s) => {
    seed = s;
    if (fail) throw new Error('refused');
    return { status: 202, body: { seed: s } };
  });
  const answer = await run.catch(() => undefined);
  return { seed, answer };
}

test('retries of a refused request share one seed until the window ends', async (t) => {
  const { store, clock } = setup(t);
  const first = await attempt(store, { a: 1 }, true);
  clock.now += 60_000;
  const retry = await attempt(store, { a: 1 }, true);
  assert.equal(retry.seed, first.seed);

  // Another body under the key after a refusal runs, with a seed of its own.
  const other = await attempt(store, { a: 2 }, true);
  assert.notEqual(other.seed, first.seed);

  // The key comes back after the window: a new request, so a new seed.
  clock.now += IDEMPOTENCY_WINDOW_MS + 1;
  const later = await attempt(store, { a: 2 }, true);
  assert.notEqual(later.seed, other.seed);
});

test('an answered request is replayed; the seed of its attempts was the same', async (t) => {
  const { store, clock } = setup(t);
  const refused = await attempt(store, { a: 1 }, true);
  clock.now += 1000;
  const answered = await attempt(store, { a: 1 }, false);
  assert.equal(answered.seed, refused.seed);
  assert.deepEqual(answered.answer, { status: 202, body: { seed: refused.seed }, replayed: false });
  const replay = await attempt(store, { a: 1 }, false);
  assert.equal(replay.seed, '', 'not produced again');
  assert.deepEqual(replay.answer, { status: 202, body: { seed: refused.seed }, replayed: true });
  await assert.rejects(
    store.run('alice events', 'k', { a: 2 }, async () => ({ status: 202, body: null })),
    /IDEMPOTENCY_KEY_REUSED|already used/,
  );
});

test('the same JSON value is the same body, whatever the order of its keys', async (t) => {
  const { store } = setup(t);
  const first = await attempt(store, { type: 'k', userId: 'u', props: { a: 1, b: [1, 2] } }, false);
  const reordered = await attempt(
    store,
    { props: { b: [1, 2], a: 1 }, userId: 'u', type: 'k' },
    false,
  );
  assert.deepEqual(reordered.answer, { ...first.answer, replayed: true });
  // Array order is part of the value.
  await assert.rejects(
    store.run('alice events', 'k', { type: 'k', userId: 'u', props: { a: 1, b: [2, 1] } }, () =>
      Promise.resolve({ status: 202, body: null }),
    ),
    /IDEMPOTENCY_KEY_REUSED|already used/,
  );
});

test('a row stored with the plain body hash still matches its request and keeps its seed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-idempotency-'));
  const db = openServiceDatabase(join(dir, 'magnetar.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const body = { userId: 'u', type: 'k' };
  const plain = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  db.prepare(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
     VALUES ('alice events', 'k', ?, 0, '', 1000000)`,
  ).run(plain);
  const store = new IdempotencyStore(db, () => 1_000_500);
  const retried = await attempt(store, body, false);
  assert.equal(retried.seed, `${plain}:1000000`);
  const replay = await attempt(store, body, false);
  assert.deepEqual(replay.answer, { ...retried.answer, replayed: true });
});
