import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config/index.js';
import { startService } from '../../src/app/service.js';
import { StartupPathError } from '../../src/app/startup-paths.js';

test('startService refuses a data dir or log file it cannot create, naming the setting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-paths-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const plain = join(dir, 'plain');
  writeFileSync(plain, 'a file\n');
  const start = (env: Record<string, string>) =>
    startService(loadConfig({ MAGNETAR_DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'silent', ...env }), {
      handleSignals: false,
    });

  await assert.rejects(start({ MAGNETAR_DATA_DIR: join(plain, 'data') }), (err) => {
    assert.ok(err instanceof StartupPathError);
    assert.equal(err.code, 'STARTUP_PATH');
    assert.equal(err.setting, 'MAGNETAR_DATA_DIR');
    assert.match(err.message, /^MAGNETAR_DATA_DIR ".*plain\/data": .*\(ENOTDIR/);
    return true;
  });
  await assert.rejects(start({ LOG_FILE: join(plain, 'x.log') }), (err) => {
    assert.ok(err instanceof StartupPathError);
    assert.equal(err.setting, 'LOG_FILE');
    assert.match(
      err.message,
      /a part of the path is not a directory \(ENOTDIR on .*plain\/x.log\)$/,
    );
    return true;
  });
  await assert.rejects(
    start({ LOG_FILE: dir }),
    /^StartupPathError: LOG_FILE ".*": is a directory/,
  );
});

test('a data dir or log file under /proc fails the start with 78, not a hang', () => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-paths-'));
  try {
    for (const [env, setting] of [
      [{ MAGNETAR_DATA_DIR: '/proc/magnetar-nope' }, 'MAGNETAR_DATA_DIR'],
      [{ MAGNETAR_DATA_DIR: dir, LOG_FILE: '/proc/magnetar-nope/x.log' }, 'LOG_FILE'],
    ] as const) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
        env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(res.signal, null, `${setting}: still running after 30 s`);
      assert.equal(res.status, 78, res.stderr);
      assert.match(res.stderr, new RegExp(`${setting} "/proc/magnetar-nope`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
