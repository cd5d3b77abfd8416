// The lock that serialises concurrent `pulsar:start` calls, exercised by real processes:
// holders never overlap, and a lock left by a killed process is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOCK_MODULE = fileURLToPath(new URL('../../scripts/pulsar/lock.mjs', import.meta.url));

// A process that takes the lock, records when it held it, and lets go.
const HOLDER = `
import { appendFileSync } from 'node:fs';
import { withLock } from ${JSON.stringify(LOCK_MODULE)};
const [lock, journal, holdMs] = process.argv.slice(1);
await withLock(lock, 30_000, async () => {
  appendFileSync(journal, 'in ' + process.pid + '\\n');
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  appendFileSync(journal, 'out ' + process.pid + '\\n');
});
`;

function runHolder(lock: string, journal: string, holdMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', HOLDER, lock, journal, String(holdMs)],
      (err, _stdout, stderr) => (err ? reject(new Error(stderr, { cause: err })) : resolve()),
    );
  });
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('concurrent holders of the start lock never overlap', async (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'start.lock');
  const journal = join(dir, 'journal');
  writeFileSync(journal, '');
  await Promise.all([1, 2, 3].map(() => runHolder(lock, journal, 300)));
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  assert.equal(lines.length, 6);
  for (let i = 0; i < lines.length; i += 2) {
    const [inWord, inPid] = lines[i].split(' ');
    const [outWord, outPid] = lines[i + 1].split(' ');
    assert.equal(inWord, 'in');
    assert.equal(outWord, 'out');
    assert.equal(inPid, outPid, `pid ${inPid} entered while another held the lock`);
  }
});

test('a lock left by a killed process is taken over', async (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'start.lock');
  const journal = join(dir, 'journal');
  writeFileSync(journal, '');
  // A real process that dies holding the lock: it writes its pid and is SIGKILLed.
  const victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  t.after(() => victim.kill('SIGKILL'));
  await new Promise((r) => victim.once('spawn', r));
  writeFileSync(lock, String(victim.pid));
  victim.kill('SIGKILL');
  await new Promise((r) => victim.once('exit', r));
  await runHolder(lock, journal, 10);
  assert.match(readFileSync(journal, 'utf8'), /^in \d+\nout \d+\n$/);
});
