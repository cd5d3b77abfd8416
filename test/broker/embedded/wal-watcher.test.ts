import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { WalWatcher } from '../../../src/broker/embedded/wal-watcher.js';

function setup(t: TestContext, check: () => boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-wal-watch-'));
  const file = join(dir, 'broker.sqlite-wal');
  const watcher = new WalWatcher(file, check);
  t.after(() => {
    watcher.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file, watcher };
}

/** Resolves once `cond` holds, or fails after `ms`. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a write to the WAL file runs the check within milliseconds', async (t) => {
  let checks = 0;
  const { file, watcher } = setup(t, () => (checks++, false));
  writeFileSync(file, 'x');
  watcher.ensure();
  assert.ok(watcher.watching);
  appendFileSync(file, 'y');
  await until(() => checks > 0, 200);
});

test('a WAL file that does not exist yet is watched for through its directory', async (t) => {
  let checks = 0;
  const { file, watcher } = setup(t, () => (checks++, false));
  watcher.ensure();
  assert.ok(watcher.watching);
  writeFileSync(file, 'x');
  await until(() => checks > 0, 500);
  // Now watching the file itself: later writes still wake it.
  await new Promise((r) => setTimeout(r, 300));
  const before = checks;
  appendFileSync(file, 'y');
  await until(() => checks > before, 500);
});

test('a replaced WAL file is watched again', async (t) => {
  let checks = 0;
  const { dir, file, watcher } = setup(t, () => (checks++, false));
  writeFileSync(file, 'x');
  watcher.ensure();
  const other = join(dir, 'new-wal');
  writeFileSync(other, 'z');
  renameSync(other, file);
  await new Promise((r) => setTimeout(r, 300));
  const before = checks;
  appendFileSync(file, 'y');
  await until(() => checks > before, 500);
});

test('a check that throws does not stop later checks; stop ends them', async (t) => {
  let checks = 0;
  const { file, watcher } = setup(t, () => {
    checks++;
    throw new Error('SQLITE_BUSY');
  });
  writeFileSync(file, 'x');
  watcher.ensure();
  appendFileSync(file, 'y');
  await until(() => checks >= 2, 500);
  watcher.stop();
  assert.equal(watcher.watching, false);
  const after = checks;
  appendFileSync(file, 'z');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(checks, after);
});

test('a directory that cannot be watched leaves the watcher off, without throwing', (t) => {
  const { dir } = setup(t, () => false);
  const watcher = new WalWatcher(join(dir, 'missing', 'broker.sqlite-wal'), () => false);
  watcher.ensure();
  assert.equal(watcher.watching, false);
  watcher.stop();
});
