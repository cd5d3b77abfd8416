import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { buildIfStale, runCli } from './built-cli.js';

before(buildIfStale);

const LOCKED =
  /^magnetar: broker error \(Internal\): .*: its database is locked by another process$/m;

test('commands while another process holds the broker file’s write lock exit 69 in plain words', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-locked-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const ok = (args: string[]) => assert.equal(runCli(dataDir, args).status, 0, args.join(' '));
  ok(['publish', '--topic', 'a', '{"n":1}']);
  ok(['publish', '--topic', 'user-events-activity-DLQ', '{"n":2}']);

  // As `sqlite3 broker.sqlite 'BEGIN IMMEDIATE; ...'` would; the commands run while it lasts.
  const holder = new Database(join(dataDir, 'broker.sqlite'));
  holder.exec('BEGIN IMMEDIATE');
  t.after(() => holder.close());
  for (const args of [
    ['publish', '--topic', 'a', '{"n":3}'],
    ['publish', '--topic', 'new-topic', '{"n":4}'],
    ['dlq', 'purge'],
    ['dlq', 'replay'],
    ['consume', '--topic', 'a', '--subscription', 'mine', '--idle-timeout-ms', '0'],
    ['start'],
  ]) {
    const res = runCli(dataDir, args, { PORT: '0', HOST: '127.0.0.1' }, 20_000);
    assert.equal(res.status, 69, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, LOCKED, args.join(' '));
    assert.doesNotMatch(res.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  }
});
