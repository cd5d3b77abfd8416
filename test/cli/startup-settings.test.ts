import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { buildIfStale, runCli } from './built-cli.js';

before(buildIfStale);

/** A fresh data dir holding a regular file, `plain`, to put paths under. */
function fixture(t: TestContext): { dataDir: string; plain: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-settings-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const plain = join(dataDir, 'plain');
  writeFileSync(plain, 'not a directory\n');
  return { dataDir, plain };
}

function assertPlain(res: ReturnType<typeof runCli>, status: number, message: RegExp): void {
  assert.equal(res.status, status, res.stderr);
  assert.match(res.stderr, message);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
}

test('a HOST that does not resolve is reported plainly', (t) => {
  const { dataDir } = fixture(t);
  const res = runCli(dataDir, ['start'], { PORT: '0', HOST: 'not.a.host.invalid' });
  assertPlain(
    res,
    1,
    /^magnetar: cannot listen: the host name .*"not\.a\.host\.invalid" \(set HOST\)$/m,
  );
});

test('a MAGNETAR_DATA_DIR that cannot be a directory exits 78 naming the variable', (t) => {
  const { dataDir, plain } = fixture(t);
  const bad = { MAGNETAR_DATA_DIR: join(plain, 'x'), PORT: '0' };
  const message = /^magnetar: MAGNETAR_DATA_DIR ".*\/plain\/x": .*not a directory \(ENOTDIR/m;
  assertPlain(runCli(dataDir, ['start'], bad), 78, message);
  assertPlain(runCli(dataDir, ['worker'], bad), 78, message);
  assertPlain(runCli(dataDir, ['token', '--sub', 'x'], bad), 78, message);
  assertPlain(runCli(dataDir, ['dlq', 'list'], bad), 78, message);
});

test('a MAGNETAR_DATA_DIR that is a regular file exits 78 naming the variable', (t) => {
  const { dataDir, plain } = fixture(t);
  const bad = { MAGNETAR_DATA_DIR: plain, PORT: '0', HOST: '127.0.0.1' };
  const message = /^magnetar: MAGNETAR_DATA_DIR ".*\/plain": is not a directory$/m;
  for (const args of [
    ['start'],
    ['api'],
    ['worker'],
    ['token', '--sub', 'x'],
    ['publish', '--topic', 'a', '{}'],
    ['consume', '--topic', 'a', '--subscription', 's', '--idle-timeout-ms', '0'],
    ['dlq', 'list'],
  ])
    assertPlain(runCli(dataDir, args, bad), 78, message);
});

test('a LOG_FILE that cannot be written exits 78 naming the variable', (t) => {
  const { dataDir, plain } = fixture(t);
  const under = { LOG_FILE: join(plain, 'x.log'), PORT: '0', HOST: '127.0.0.1' };
  const message =
    /^magnetar: LOG_FILE ".*\/plain\/x\.log": a part of the path is not a directory \(ENOTDIR on .*\/plain\/x\.log\)$/m;
  assertPlain(runCli(dataDir, ['start'], under), 78, message);
  assertPlain(runCli(dataDir, ['worker'], under), 78, message);
  // A directory instead of a file.
  const dir = { LOG_FILE: dataDir, PORT: '0', HOST: '127.0.0.1' };
  assertPlain(runCli(dataDir, ['start'], dir), 78, /^magnetar: LOG_FILE ".*": is a directory/m);
});
