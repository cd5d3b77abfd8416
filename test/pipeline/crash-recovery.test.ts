import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { signToken } from '../../src/http/tokens.js';
import { CHILD_SECRET, exitOf, startChildService } from './child-service.js';

const USERS = Array.from({ length: 8 }, (_, i) => `crash-user-${i}`);
const token = signToken(CHILD_SECRET, {
  subject: 'load',
  scopes: ['events:write'],
  ttlMs: 600_000,
});

async function activityIds(url: string, userId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${cursor}` : '';
    const res = await fetch(`${url}/api/v1/users/${userId}/activity?limit=500${q}`);
    const body = (await res.json()) as {
      data: { items: { eventId: string }[]; nextCursor: string | null };
    };
    ids.push(...body.data.items.map((i) => i.eventId));
    cursor = body.data.nextCursor;
  } while (cursor);
  return ids;
}

/**
 * Runs the service as a child under load from 16 clients, stops it with `signal` mid-load,
 * restarts it on the same data dir, and checks every event that got a 202 is in activity
 * exactly once.
 */
async function stopUnderLoadAndRestart(t: TestContext, signal: 'SIGKILL' | 'SIGTERM') {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startChildService(t, dataDir);

  const accepted = new Map<string, string>(); // eventId -> userId
  let refused = 0;
  let failed = 0;
  let stop = false;
  const client = async (n: number) => {
    for (let i = 0; !stop; i++) {
      const userId = USERS[(n + i) % USERS.length];
      const batch = i % 5 === 4;
      const event = { type: 'item.viewed', userId, itemId: `item-${i % 13}` };
      try {
        const res = await fetch(`${first.url}/api/v1/events${batch ? '/batch' : ''}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch ? { events: Array(10).fill(event) } : event),
        });
        const body = (await res.json()) as {
          data: { eventId: string; items?: { eventId: string }[] };
        };
        if (res.status === 202) {
          const ids = batch ? body.data.items!.map((x) => x.eventId) : [body.data.eventId];
          for (const id of ids) accepted.set(id, userId);
        } else refused++;
      } catch {
        failed++; // the process died with this request in flight: no answer, no promise made
        return;
      }
    }
  };
  const clients = Array.from({ length: 16 }, (_, n) => client(n));
  // Let the load run and the consumers get behind, then kill without warning.
  while (accepted.size < 1500) await new Promise((r) => setTimeout(r, 20));
  first.child.kill(signal);
  const exit = await exitOf(first.child);
  stop = true;
  await Promise.all(clients);
  if (signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
  // SIGTERM: stop taking requests (503), drain the consumers, flush, close, exit 0.
  else assert.equal(exit.code, 0, first.output().slice(-2000));
  assert.ok(accepted.size >= 1500, `accepted ${accepted.size}`);

  // How far the consumers had got when the process stopped (the rest must come on restart).
  const db = new Database(join(dataDir, 'magnetar.db'), { readonly: true });
  const before = (db.prepare('SELECT count(*) AS n FROM activity').get() as { n: number }).n;
  db.close();

  const second = await startChildService(t, dataDir);
  const expected = new Map<string, Set<string>>();
  for (const [id, user] of accepted) {
    if (!expected.has(user)) expected.set(user, new Set());
    expected.get(user)!.add(id);
  }
  const deadline = Date.now() + 60_000;
  let missing = Infinity;
  let seen: Map<string, string[]> = new Map();
  while (Date.now() < deadline) {
    seen = new Map(
      await Promise.all(USERS.map(async (u) => [u, await activityIds(second.url, u)] as const)),
    );
    missing = 0;
    for (const [user, ids] of expected) {
      const have = new Set(seen.get(user));
      for (const id of ids) if (!have.has(id)) missing++;
    }
    if (missing === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(missing, 0, 'every accepted event reached activity');
  let total = 0;
  for (const [user, ids] of seen) {
    assert.equal(new Set(ids).size, ids.length, `no duplicates for ${user}`);
    total += ids.length;
  }
  // Events the broker stored whose 202 was lost with the process may also be there; never
  // fewer than accepted, never twice.
  assert.ok(total >= accepted.size);
  t.diagnostic(
    `accepted ${accepted.size}, in activity before the stop ${before}, after restart ${total}, ` +
      `refused ${refused}, cut off ${failed}`,
  );

  // A clean stop of the restarted service: SIGTERM drains and exits 0.
  second.child.kill('SIGTERM');
  const stopped = await exitOf(second.child);
  assert.equal(stopped.code, 0, second.output().slice(-2000));
}

test('SIGKILL under load, restart on the same data dir: every 202 event is in activity exactly once', (t) =>
  stopUnderLoadAndRestart(t, 'SIGKILL'));

test('SIGTERM under load drains cleanly: after a restart every 202 event is in activity exactly once', (t) =>
  stopUnderLoadAndRestart(t, 'SIGTERM'));
