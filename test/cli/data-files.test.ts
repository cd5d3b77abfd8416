import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { buildIfStale, CLI, env, ROOT, runCli } from './built-cli.js';

before(buildIfStale);

const LISTEN = { PORT: '0', HOST: '127.0.0.1' };

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-cli-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every command exits `status` with the one line `message`, no stack trace. */
function assertRefused(res: ReturnType<typeof runCli>, status: number, message: RegExp): void {
  assert.equal(res.status, status, res.stderr);
  assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
  assert.match(res.stderr.trim(), message);
}

/** A data dir the service has run on once: both databases exist, migrated. */
function usedDataDir(t: TestContext): string {
  const dir = dataDir(t);
  assert.equal(runCli(dir, ['publish', '--topic', 'a', '{}']).status, 0);
  // The service database as `start` leaves it, without running the service.
  const res = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/app/db/database.ts').then((m) => m.openServiceDatabase(${JSON.stringify(join(dir, 'magnetar.db'))}).close())`,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(res.status, 0, res.stderr);
  return dir;
}

test('a magnetar.db or broker.sqlite that is not a SQLite database exits 65 naming the file', (t) => {
  const dir = dataDir(t);
  writeFileSync(join(dir, 'magnetar.db'), randomBytes(8192));
  const service =
    /^magnetar: .*\/magnetar\.db is not a SQLite database \(corrupt, or another kind of file\)$/;
  for (const role of ['start', 'api', 'worker'])
    assertRefused(runCli(dir, [role], LISTEN), 65, service);

  const other = dataDir(t);
  writeFileSync(join(other, 'broker.sqlite'), randomBytes(8192));
  const broker =
    /^magnetar: .*\/broker\.sqlite is not a SQLite database \(corrupt, or another kind of file\)$/;
  for (const args of [['start'], ['worker'], ['publish', '--topic', 'a', '{}'], ['dlq', 'list']])
    assertRefused(runCli(other, args, LISTEN), 65, broker);
});

test('databases written by a newer Magnetar are refused at start with exit 65', (t) => {
  const dir = usedDataDir(t);
  const db = new Database(join(dir, 'magnetar.db'));
  db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(
    'users-099-renamed',
    new Date().toISOString(),
  );
  db.close();
  const service =
    /^magnetar: .*\/magnetar\.db was written by a newer Magnetar: schema users-099-renamed, this build knows up to \S+$/;
  for (const role of ['start', 'api', 'worker'])
    assertRefused(runCli(dir, [role], LISTEN), 65, service);

  const other = usedDataDir(t);
  const broker = new Database(join(other, 'broker.sqlite'));
  broker.pragma('user_version = 99');
  broker.close();
  const newer =
    /^magnetar: .*\/broker\.sqlite was written by a newer Magnetar: schema 99, this build knows up to 1$/;
  for (const args of [['start'], ['worker'], ['publish', '--topic', 'a', '{}']])
    assertRefused(runCli(other, args, LISTEN), 65, newer);
});

const LOCKED =
  /^magnetar: broker error \(Internal\): .*: its database is locked by another process$/m;

test('commands while another process holds the broker file’s write lock exit 69 in plain words', (t) => {
  const dir = dataDir(t);
  const ok = (args: string[]) => assert.equal(runCli(dir, args).status, 0, args.join(' '));
  ok(['publish', '--topic', 'a', '{"n":1}']);
  ok(['publish', '--topic', 'user-events-activity-DLQ', '{"n":2}']);

  // As `sqlite3 broker.sqlite 'BEGIN IMMEDIATE; ...'` would; the commands run while it lasts.
  const holder = new Database(join(dir, 'broker.sqlite'));
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
    const res = runCli(dir, args, LISTEN, 20_000);
    assert.equal(res.status, 69, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, LOCKED, args.join(' '));
    assert.doesNotMatch(res.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
  }
});

/**
 * Root may write a file of any mode, so the read-only case runs the CLI as `nobody` when the
 * tests run as root (and as the user itself otherwise).
 */
test('a database file this process may not write is refused at start with exit 78', (t) => {
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  const run = (dir: string, args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: env(dir, { LOG_LEVEL: 'silent', ...LISTEN }),
      encoding: 'utf8',
      timeout: 30_000,
      ...ids,
    });
  const probe = spawnSync(
    process.execPath,
    ['-e', `require('fs').accessSync(${JSON.stringify(CLI)})`],
    ids,
  );
  if (probe.status !== 0) return t.skip('nobody cannot read the built CLI here');

  for (const [file, roles] of [
    ['magnetar.db', ['start', 'api', 'worker']],
    ['broker.sqlite', ['start', 'api', 'worker', 'publish']],
  ] as const) {
    const dir = usedDataDir(t);
    chmodSync(join(dir, file), 0o444);
    if (asRoot) chownRecursive(dir, 65534);
    const message = new RegExp(
      `^magnetar: .*/${file.replace('.', '\\.')} cannot be written by this process: permission denied \\(EACCES\\)$`,
    );
    for (const role of roles) {
      const args = role === 'publish' ? ['publish', '--topic', 'a', '{}'] : [role];
      assertRefused(run(dir, args), 78, message);
    }
  }
});

function chownRecursive(dir: string, uid: number): void {
  const res = spawnSync('chown', ['-R', `${uid}:${uid}`, dir]);
  assert.equal(res.status, 0, String(res.stderr));
  chownSync(dir, uid, uid);
}
