/** Runs the built CLI (dist/cli/main.js) as users do, building it first when it is stale. */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** For `before()`: `npm test` builds first; a run of one file builds when dist/ is older than src/. */
export function buildIfStale(): void {
  const sources = join(ROOT, 'src');
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(sources)) return;
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(res.status, 0, 'npm run build');
}

/** A clean environment: nothing from the caller's MAGNETAR_* or PORT leaks in. */
export function env(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, MAGNETAR_DATA_DIR: dataDir, ...extra };
}

/** Runs one command to its end (or `timeoutMs`, then status is null). */
export function runCli(
  dataDir: string,
  args: string[],
  extra: Record<string, string> = {},
  timeoutMs = 30_000,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: dataDir,
    env: env(dataDir, { LOG_LEVEL: 'silent', ...extra }),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}
