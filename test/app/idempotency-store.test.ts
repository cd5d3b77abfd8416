import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { openServiceDatabase } from '../../src/app/db/database.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  IdempotencyStore,
  PID_SPACE,
} from '../../src/app/events/idempotency-store.js';

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

/** Two stores on their own connections to one database file, as two processes have. */
function twoProcesses(t: import('node:test').TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-idempotency-'));
  const dbs = [0, 1].map(() => openServiceDatabase(join(dir, 'magnetar.db')));
  t.after(() => {
    for (const db of dbs) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dbs, stores: dbs.map((db) => new IdempotencyStore(db)) };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('a request in flight in another process is waited for, not produced again', async (t) => {
  const { stores } = twoProcesses(t);
  const gate = deferred();
  let produced = 0;
  const produce = async (seed: string) => {
    produced++;
    await gate.promise;
    return { status: 202, body: { seed } };
  };
  const first = stores[0].run('alice events', 'k', { a: 1 }, produce);
  await new Promise((r) => setTimeout(r, 20));
  const second = stores[1].run('alice events', 'k', { a: 1 }, produce);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(produced, 1, 'the second process waits');
  gate.resolve();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.replayed, false);
  assert.deepEqual(b, { ...a, replayed: true });
  assert.equal(produced, 1);
});

test('when the other process fails its attempt, a waiting retry goes ahead with its seed', async (t) => {
  const { stores } = twoProcesses(t);
  const gate = deferred();
  const seeds: string[] = [];
  const first = stores[0].run('alice events', 'k', { a: 1 }, async (seed) => {
    seeds.push(seed);
    await gate.promise;
    return { status: 202, body: null };
  });
  await new Promise((r) => setTimeout(r, 20));
  const second = stores[1].run('alice events', 'k', { a: 1 }, async (seed) => {
    seeds.push(seed);
    return { status: 202, body: { seed } };
  });
  gate.reject(new Error('refused'));
  await assert.rejects(first, /refused/);
  const answer = await second;
  assert.equal(answer.replayed, false);
  assert.deepEqual(seeds, [seeds[0], seeds[0]], 'the retry derives the same ids');
});

test('a claim left by a killed process, or one past its deadline, does not hold a retry up', async (t) => {
  const { dbs, stores } = twoProcesses(t);
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const deadPid = Number(child.stdout.toString());
  const claim = dbs[0].prepare(
    `INSERT INTO idempotency_keys
       (scope, key, request_hash, status, response, created_at, owner, claimed_until)
     VALUES ('alice events', ?, 'h', 0, '', ?, ?, ?)`,
  );
  const now = Date.now();
  claim.run('dead', now, `${deadPid}/${PID_SPACE}/x`, now + 60_000);
  claim.run('late', now, `${process.pid}/${PID_SPACE}/other-store`, now - 1);
  claim.run('held', now, `${process.pid}/${PID_SPACE}/other-store`, now + 60_000);
  // The same dead pid in another container's PID namespace may be a live process there.
  claim.run('elsewhere', now, `${deadPid}/other-host:pid:[1]/x`, now + 60_000);
  for (const key of ['dead', 'late']) {
    const answer = await stores[1].run('alice events', key, { a: 1 }, async () => ({
      status: 202,
      body: key,
    }));
    assert.deepEqual(answer, { status: 202, body: key, replayed: false });
  }
  // A live claim holds, and so does one whose process cannot be looked up from here: the
  // retries are still waiting after 150 ms.
  for (const key of ['held', 'elsewhere']) {
    let done = false;
    void stores[1]
      .run('alice events', key, { a: 1 }, async () => ({ status: 202, body: null }))
      .then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(done, false, key);
    dbs[0].prepare(`UPDATE idempotency_keys SET claimed_until = 0 WHERE key = ?`).run(key);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(done, true, `${key} goes ahead once the claim is let go`);
  }
});
