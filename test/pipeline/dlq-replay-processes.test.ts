import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import { FAILURE_PROPERTIES } from '../../src/messaging/index.js';
import { signToken } from '../../src/http/tokens.js';
import { buildIfStale, CLI, env } from '../cli/built-cli.js';
import { CHILD_SECRET, exitOf, startChildService } from './child-service.js';

// Letters of a topic nobody consumes, so every replayed copy stays stored and can be counted.
const TARGET = 'persistent://public/default/replay-target';
const DLQ = `${TARGET}-ops-DLQ`;
const admin = signToken(CHILD_SECRET, { subject: 'ops', scopes: ['admin'], ttlMs: 600_000 });

before(buildIfStale);

async function seed(dataDir: string, prefix: string, n: number): Promise<void> {
  const broker = await createEmbeddedBroker({ dataDir });
  const producer = await broker.createProducer({ topic: DLQ });
  const properties = (i: number) => ({
    eventId: `${prefix}-${i}`,
    [FAILURE_PROPERTIES.originalTopic]: TARGET,
    [FAILURE_PROPERTIES.subscription]: 'ops',
  });
  try {
    for (let from = 0; from < n; from += 500)
      await Promise.all(
        Array.from({ length: Math.min(500, n - from) }, (_, i) =>
          producer.send({ data: Buffer.from('{}'), properties: properties(from + i) }),
        ),
      );
  } finally {
    await broker.close();
  }
}

/** The event ids stored in a topic, read from the file as another process sees it. */
function stored(dataDir: string, topic: string): string[] {
  const db = new Database(join(dataDir, 'broker.sqlite'), { readonly: true });
  try {
    return db
      .prepare<[string], { properties: string }>(
        'SELECT m.properties FROM messages m JOIN topics t ON t.id = m.topic_id WHERE t.name = ?',
      )
      .all(topic)
      .map((r) => (JSON.parse(r.properties) as { eventId: string }).eventId);
  } finally {
    db.close();
  }
}

/** `magnetar dlq replay` (the built CLI) as a child process. */
function cliReplay(dataDir: string) {
  const child = spawn(process.execPath, [CLI, 'dlq', 'replay', '--subscription', 'ops'], {
    env: env(dataDir, { LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const replayed = exitOf(child, 120_000).then(({ code }) => {
    assert.equal(code, 0, err);
    return (JSON.parse(out) as { replayed: number }).replayed;
  });
  return { child, replayed };
}

async function apiReplay(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/admin/dlq/replay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subscription: 'ops' }),
  });
  const body = (await res.json()) as { data: { replayed: number } };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data.replayed;
}

function assertOnce(ids: string[], n: number, what: string): void {
  assert.equal(ids.length, n, `${what}: ${ids.length} stored for ${n} letters`);
  assert.equal(new Set(ids).size, n, `${what}: a letter replayed twice`);
}

test('two CLI replays and an API replay at once, on one data dir, send each letter once; a killed replay loses none and sends none twice', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-replay-procs-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const N = 2000;
  await seed(dataDir, 'a', N);
  const svc = await startChildService(t, dataDir);

  const counts = await Promise.all([
    cliReplay(dataDir).replayed,
    cliReplay(dataDir).replayed,
    apiReplay(svc.url),
  ]);
  assert.equal(
    counts.reduce((x, y) => x + y, 0),
    N,
    `replays reported ${counts.join(' + ')}`,
  );
  assertOnce(stored(dataDir, TARGET), N, 'concurrent replays');
  assert.deepEqual(stored(dataDir, DLQ), []);

  // A replay killed half-way: each letter is either replayed or still in the DLQ.
  await seed(dataDir, 'b', N);
  const killed = cliReplay(dataDir);
  killed.replayed.catch(() => undefined);
  const end = Date.now() + 60_000;
  while (stored(dataDir, TARGET).length < N + 200) {
    assert.ok(Date.now() < end, 'the replay made no progress');
    await new Promise((r) => setTimeout(r, 20));
  }
  killed.child.kill('SIGKILL');
  await exitOf(killed.child, 10_000);
  const sent = stored(dataDir, TARGET).filter((id) => id.startsWith('b-'));
  const left = stored(dataDir, DLQ);
  assert.ok(left.length > 0, 'killed before the end');
  assert.equal(sent.length + left.length, N, 'nothing lost, nothing both sent and listed');
  assert.equal(new Set([...sent, ...left]).size, N);

  // The next replay sends the rest, once.
  assert.equal(await apiReplay(svc.url), left.length);
  assertOnce(stored(dataDir, TARGET), 2 * N, 'after the kill');

  svc.child.kill('SIGTERM');
  assert.equal((await exitOf(svc.child, 30_000)).code, 0);
});
