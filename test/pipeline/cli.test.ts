import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exitOf, runCli, startChildService } from './child-service.js';
import { once } from 'node:events';
import { connect } from 'node:net';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function activity(url: string, user: string): Promise<Json[]> {
  const res = await fetch(`${url}/api/v1/users/${user}/activity`);
  return ((await res.json()) as Json).data.items as Json[];
}

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('publish, consume and dlq list/replay/purge work from the CLI while the service runs on the same data dir', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const svc = await startChildService(t, dataDir);
  const event = (id: string) =>
    JSON.stringify({
      eventId: id,
      type: 'item.viewed',
      userId: 'zed',
      occurredAt: '2026-01-01T00:00:00Z',
    });

  const [published] = runCli(dataDir, [
    'publish',
    '--topic',
    'user-events',
    '--key',
    'zed',
    event('cli-1'),
  ]) as Json[];
  assert.match(published.messageId, /^\d+:\d+:-1$/);
  await until(async () => (await activity(svc.url, 'zed')).length === 1);

  runCli(dataDir, ['publish', '--topic', 'cli-topic', '--key', 'k', '{"hello":"world"}']);
  const consumed = runCli(dataDir, [
    'consume',
    '--topic',
    'cli-topic',
    '--subscription',
    'reader',
    '--count',
    '1',
  ]) as Json[];
  assert.equal(consumed.length, 1);
  assert.equal(consumed[0].data, '{"hello":"world"}');
  assert.equal(consumed[0].key, 'k');
  const readAgain = (...extra: string[]) =>
    runCli(dataDir, ['consume', '--topic', 'cli-topic', '--subscription', 'reader', ...extra]);
  // Acked: a second read of the same subscription finds nothing.
  const again = readAgain('--idle-timeout-ms', '500');
  assert.equal(again.length, 0);
  // A subscription kept after consume holds the topic's messages; --unsubscribe removes it.
  const subscriptions = () => {
    const db = new Database(join(dataDir, 'broker.sqlite'), { readonly: true });
    try {
      return db
        .prepare<[], { name: string }>('SELECT name FROM subscriptions ORDER BY name')
        .all()
        .map((r) => r.name);
    } finally {
      db.close();
    }
  };
  assert.ok(subscriptions().includes('reader'));
  readAgain('--idle-timeout-ms', '0', '--unsubscribe');
  assert.ok(!subscriptions().includes('reader'), 'the subscription is gone');

  // A dead letter (written straight to the dead-letter topic), listed, replayed, gone.
  runCli(dataDir, [
    'publish',
    '--topic',
    'user-events-activity-DLQ',
    '--key',
    'zed',
    event('cli-2'),
  ]);
  runCli(dataDir, [
    'publish',
    '--topic',
    'user-events-activity-DLQ',
    '--key',
    'zed',
    event('cli-3'),
  ]);
  const listed = runCli(dataDir, ['dlq', 'list', '--subscription', 'activity']) as Json[];
  assert.equal(listed.length, 2);
  assert.equal(JSON.parse(listed[0].data).eventId, 'cli-2');
  const [replayed] = runCli(dataDir, ['dlq', 'replay', '--ids', listed[0].messageId]) as Json[];
  assert.equal(replayed.replayed, 1);
  await until(async () => (await activity(svc.url, 'zed')).length === 2);
  const [purged] = runCli(dataDir, ['dlq', 'purge', '--topic', 'user-events']) as Json[];
  assert.equal(purged.deleted, 1);
  assert.equal(runCli(dataDir, ['dlq', 'list']).length, 0);

  svc.child.kill('SIGTERM');
  assert.equal((await exitOf(svc.child)).code, 0);
});

test('magnetar worker runs the consumers without the API and drains on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-worker-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  runCli(dataDir, [
    'publish',
    '--topic',
    'user-events',
    '--key',
    'w',
    JSON.stringify({ eventId: 'w-1', type: 'a', userId: 'w', occurredAt: '2026-01-01T00:00:00Z' }),
  ]);
  // With MAGNETAR_WORKER_PORT the worker serves probes and metrics (and nothing else).
  const running = await startChildService(t, dataDir, ['worker'], undefined, {
    MAGNETAR_WORKER_PORT: '0',
    MAGNETAR_SHUTDOWN_TIMEOUT_MS: '1000',
  });
  const worker = running.child;
  const metric = async (name: string) => {
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  await until(
    async () => (await metric('messaging_messages_acked_total{subscription="activity"}')) === 1,
    30_000,
  );
  const ready = (await (await fetch(`${running.url}/readyz`)).json()) as Json;
  assert.equal(ready.status, 'ready');
  assert.deepEqual(Object.keys(ready.checks).sort(), [
    'broker',
    'consumer:activity',
    'consumer:recommendations',
    'shutdown',
  ]);
  assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
  const notHere = await fetch(`${running.url}/api/v1/events`, { method: 'POST' });
  assert.equal(notHere.status, 404, 'the worker serves no API');
  assert.equal((await fetch(`${running.url}/openapi.json`)).status, 404, 'nor its description');
  const out = running.output();
  assert.match(out, /event pipeline started/);
  // A second worker on the data dir would deliver every message twice: it stops, saying why.
  const { spawnSync } = await import('node:child_process');
  const { CLI, childEnv } = await import('./child-service.js');
  const second = spawnSync(process.execPath, [...CLI, 'worker'], {
    env: childEnv(dataDir, { LOG_LEVEL: 'warn' }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(second.status, 69, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(`subscription busy \\(ConsumerBusy\\): another process \\(pid ${worker.pid}\\)`),
  );
  // Its port taken, another worker (on another data dir) names the variable to change.
  const otherDir = mkdtempSync(join(tmpdir(), 'magnetar-worker-'));
  t.after(() => rmSync(otherDir, { recursive: true, force: true }));
  const taken = spawnSync(process.execPath, [...CLI, 'worker'], {
    env: childEnv(otherDir, {
      LOG_LEVEL: 'warn',
      MAGNETAR_WORKER_PORT: new URL(running.url).port,
    }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(taken.status, 1, taken.stderr);
  assert.match(taken.stderr, /cannot listen: .*\(set MAGNETAR_WORKER_PORT \/ HOST\)/);

  // A client that never finishes its request does not hold the shutdown up past its deadline.
  const stalled = connect(Number(new URL(running.url).port), '127.0.0.1');
  stalled.on('error', () => undefined);
  await once(stalled, 'connect');
  stalled.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  t.after(() => stalled.destroy());
  await new Promise((r) => setTimeout(r, 100));
  worker.kill('SIGTERM');
  // The deadline is 1 s: a worker still running well after it is held up by the client.
  assert.equal((await exitOf(worker, 20_000)).code, 0, running.output().slice(-2000));
  assert.match(running.output(), /in-flight requests outlived the shutdown deadline/);
  const svc = await startChildService(t, dataDir, ['api']);
  assert.equal((await activity(svc.url, 'w')).length, 1);
  svc.child.kill('SIGTERM');
  await exitOf(svc.child);
});
