import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { buildIfStale, runCli } from './built-cli.js';

before(buildIfStale);

function fixture(t: TestContext): { dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-settings-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  return { dataDir };
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
