import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { before, test, type TestContext } from 'node:test';
import { buildIfStale, CLI, env, runCli } from './built-cli.js';

before(buildIfStale);

function freshDir(t: TestContext): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-args-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** Exit status 64 with one `magnetar: ...` line matching `message`, and no stack trace. */
function assertUsage(dataDir: string, args: string[], message: RegExp): void {
  const res = runCli(dataDir, args);
  assert.equal(res.status, 64, `${args.join(' ')}: status ${res.status}; stderr: ${res.stderr}`);
  assert.match(res.stderr, message, args.join(' '));
  assert.doesNotMatch(res.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  assert.equal(res.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
}

test('numeric options must be integers in range, else exit 64 naming the option', (t) => {
  const dataDir = freshDir(t);
  const consume = ['consume', '--topic', 't', '--subscription', 's'];
  for (const bad of ['abc', '0', '-5', '1.5', '1e3']) {
    assertUsage(
      dataDir,
      ['dlq', 'list', '--limit', bad],
      new RegExp(`^magnetar: --limit must be an integer from 1 to \\d+ \\(got "${bad}"\\)`),
    );
  }
  assertUsage(dataDir, [...consume, '--count', 'abc'], /^magnetar: --count must be an integer/);
  assertUsage(dataDir, [...consume, '--count', '0'], /^magnetar: --count must be an integer/);
  // Before, NaN here made consume wait forever.
  assertUsage(
    dataDir,
    [...consume, '--idle-timeout-ms', 'abc'],
    /^magnetar: --idle-timeout-ms must be an integer/,
  );

  // Good values still work: nothing is waiting, so an idle timeout of 0 ends at once.
  const ok = runCli(dataDir, [...consume, '--idle-timeout-ms', '0', '--count', '3']);
  assert.equal(ok.status, 0, ok.stderr);
  const list = runCli(dataDir, ['dlq', 'list', '--limit', '20']);
  assert.equal(list.status, 0, list.stderr);
});

test('bad topic names, subscription names and types are usage errors, checked before the broker', (t) => {
  const dataDir = freshDir(t);
  const badTopic = /^magnetar: --topic must be a topic name: .*\(got "a\/b"\)/;
  for (const cmd of ['list', 'replay', 'purge']) {
    assertUsage(dataDir, ['dlq', cmd, '--topic', 'a/b'], badTopic);
  }
  assertUsage(
    dataDir,
    ['dlq', 'list', '--topic', 't', '--subscription', 'x/y'],
    /^magnetar: --subscription must be a non-empty subscription name without "\/" \(got "x\/y"\)/,
  );
  assertUsage(dataDir, ['publish', '--topic', 'a/b', '{}'], badTopic);
  assertUsage(dataDir, ['consume', '--topic', 'a/b', '--subscription', 's'], badTopic);
  assertUsage(
    dataDir,
    ['consume', '--topic', 't', '--subscription', 's', '--type', 'Foo'],
    /^magnetar: --type must be one of Exclusive, Shared, Failover, KeyShared \(got "Foo"\)/,
  );
  // A value only the broker refuses (InvalidArgument) is a usage error too, not an outage.
  assertUsage(
    dataDir,
    ['consume', '--topic', 't', '--subscription', '', '--count', '1'],
    /^magnetar: subscription name is required$/m,
  );
  assertUsage(
    dataDir,
    ['consume', '--topic', 't-activity-DLQ', '--subscription', 'dlq-retention'],
    /^magnetar: --subscription dlq-retention is reserved: it keeps dead letters/,
  );
  assertUsage(
    dataDir,
    ['consume', '--topic', 't', '--subscription', 'a/b', '--count', '1'],
    /^magnetar: subscription name must not contain "\/" \(got "a\/b"\)$/m,
  );
});

test('dlq replay and purge reject ids that are not message ids', (t) => {
  const dataDir = freshDir(t);
  for (const cmd of ['replay', 'purge']) {
    assertUsage(
      dataDir,
      ['dlq', cmd, '--ids', '1:2:-1,bad'],
      /^magnetar: --ids: "bad" is not a message id/,
    );
    // An empty list must not turn into "all of them".
    assertUsage(dataDir, ['dlq', cmd, '--ids', ' , '], /^magnetar: --ids needs at least one/);
  }
  const ok = runCli(dataDir, ['dlq', 'replay', '--ids', '1:2:-1']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { replayed: 0, messageIds: [] });
});

test('an unknown command is named as such; magnetar with no command still starts the service', async (t) => {
  const dataDir = freshDir(t);
  const res = runCli(dataDir, ['bogus']);
  assert.equal(res.status, 64, res.stderr);
  assert.match(res.stderr, /unknown command 'bogus'/);

  const child = spawn(process.execPath, [CLI], {
    cwd: dataDir,
    env: env(dataDir, { PORT: '0', HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no listen line')), 20_000);
    void exited.then(([code]) => reject(new Error(`exited ${code} before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  // The line is logged just before the signal handlers are installed; an answered request
  // means the start has finished.
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
});

test('consume into a pipe closed early (| head -1) stops quietly and still unsubscribes', async (t) => {
  const dataDir = freshDir(t);
  // More than a pipe holds (64 KiB), so consume is still writing when the reader goes.
  const filler = 'x'.repeat(4096);
  for (let i = 0; i < 40; i++)
    assert.equal(
      runCli(dataDir, ['publish', '--topic', 'piped', `{"n":${i},"filler":"${filler}"}`]).status,
      0,
    );
  const child = spawn(
    process.execPath,
    [
      CLI,
      'consume',
      '--topic',
      'piped',
      '--subscription',
      'peek',
      '--idle-timeout-ms',
      '0',
      '--unsubscribe',
    ],
    { cwd: dataDir, env: env(dataDir, { LOG_LEVEL: 'silent' }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  // Read one line, then close the pipe as `head -1` does.
  await once(child.stdout!, 'data');
  child.stdout!.destroy();
  assert.deepEqual(await exited, [0, null], stderr);
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  // It still ended its own way: --unsubscribe removed the subscription.
  const db = new Database(join(dataDir, 'broker.sqlite'), { readonly: true });
  try {
    assert.deepEqual(db.prepare("SELECT name FROM subscriptions WHERE name = 'peek'").all(), []);
  } finally {
    db.close();
  }
});
