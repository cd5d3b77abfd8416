import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../../src/http/tokens.js';
import { CHILD_SECRET, exitOf, startChildService, type ChildService } from './child-service.js';

const KILLING_SERVICE = ['--import', 'tsx', 'test/pipeline/fixtures/killing-service.ts'];
const admin = signToken(CHILD_SECRET, {
  subject: 'ops',
  scopes: ['events:write', 'admin'],
  ttlMs: 600_000,
});

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- envelopes of several routes
  return { status: res.status, body: (await res.json()) as any };
}

/** Polls `check` until it holds, or gives up when the child exits or the time is up. */
async function whileAlive(svc: ChildService, check: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (svc.child.exitCode !== null || svc.child.signalCode !== null) return false;
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out:\n${svc.output()}`);
}

test('a message that kills the process is dead-lettered after 3 crashes while it ran alone; what ran beside it is not', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-crash-loop-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startChildService(t, dataDir, [], KILLING_SERVICE);
  const event = (userId: string, itemId: string) => ({ type: 'item.viewed', userId, itemId });
  const activity = async (url: string, userId: string) =>
    (await call(url, 'GET', `/api/v1/users/${userId}/activity`)).body.data.items as {
      itemId: string;
    }[];

  assert.equal(
    (await call(first.url, 'POST', '/api/v1/events', event('victim', 'before'))).status,
    202,
  );
  assert.ok(
    await whileAlive(first, async () => (await activity(first.url, 'victim')).length === 1),
  );
  // Accepted (stored) with ten good events of other users before the consumers read them:
  // the process dies with all of them in flight.
  const batch = Array.from({ length: 10 }, (_, i) => event(`bystander-${i}`, 'good'));
  batch.splice(5, 0, event('victim', 'kill-the-process'));
  assert.equal(
    (await call(first.url, 'POST', '/api/v1/events/batch', { events: batch })).status,
    202,
  );
  const exits = [await exitOf(first.child)];

  // Each restart runs what was in flight again, alone, one message at a time: the good
  // events pass, the poison kills the process again. After 3 such lone runs for each
  // subscription it is dead-lettered without being run, and the service stays up.
  let survivor: ChildService | undefined;
  for (let run = 2; run <= 10 && survivor === undefined; run++) {
    let svc: ChildService;
    try {
      svc = await startChildService(t, dataDir, [], KILLING_SERVICE);
    } catch (err) {
      assert.match(String(err), /exited with SIGKILL before listening/);
      exits.push({ code: null, signal: 'SIGKILL' });
      continue;
    }
    const settled = await whileAlive(svc, async () => {
      const dlq = await call(svc.url, 'GET', '/api/v1/admin/dlq?topic=user-events');
      return dlq.body.data.items.length === 2;
    });
    if (settled) survivor = svc;
    else exits.push(await exitOf(svc.child));
  }
  assert.ok(survivor, `still crashing after ${exits.length} runs`);
  assert.ok(
    exits.every((e) => e.signal === 'SIGKILL'),
    JSON.stringify(exits),
  );
  // The first crash (with others beside it), then 3 lone crashes per subscription.
  assert.equal(exits.length, 7);

  const dlq = await call(survivor.url, 'GET', '/api/v1/admin/dlq?topic=user-events');
  assert.deepEqual(
    dlq.body.data.items
      .map((d: { reason: { subscription: string } }) => d.reason.subscription)
      .sort(),
    ['activity', 'recommendations'],
  );
  for (const dead of dlq.body.data.items) {
    assert.equal(dead.reason.errorCode, 'CRASH_LOOP');
    assert.match(
      dead.reason.error,
      /the process stopped 3 times while this message was being handled/,
    );
    assert.equal(JSON.parse(dead.data).itemId, 'kill-the-process');
    assert.equal(dead.key, 'victim');
  }
  // Every good event that was in flight with the poison was recorded.
  for (let i = 0; i < 10; i++)
    assert.deepEqual(
      (await activity(survivor.url, `bystander-${i}`)).map((a) => a.itemId),
      ['good'],
      `bystander-${i}`,
    );
  // The key is unblocked: its next event is handled.
  assert.equal(
    (await call(survivor.url, 'POST', '/api/v1/events', event('victim', 'after'))).status,
    202,
  );
  assert.ok(
    await whileAlive(survivor, async () => (await activity(survivor.url, 'victim')).length === 2),
  );
  assert.deepEqual((await activity(survivor.url, 'victim')).map((a) => a.itemId).sort(), [
    'after',
    'before',
  ]);
  assert.equal((await call(survivor.url, 'GET', '/readyz')).status, 200);
  survivor.child.kill('SIGTERM');
  assert.equal((await exitOf(survivor.child)).code, 0);
});
