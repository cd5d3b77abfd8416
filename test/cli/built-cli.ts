/** Runs the built CLI (dist/cli/main.js) as users do, building it first when it is stale. */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

const BUILD_IF_STALE = fileURLToPath(new URL('build-if-stale.mjs', import.meta.url));

/**
 * For `before()`: `npm test` builds first; a run of chosen files builds when dist/ is older
 * than src/. Test files run side by side, so the check and the build happen under a lock: one
 * builds, the others then find dist/ fresh instead of rewriting it under running commands.
 */
export function buildIfStale(): void {
  const opts = { cwd: ROOT, stdio: 'inherit' as const };
  if (spawnSync(process.execPath, [BUILD_IF_STALE, '--check'], opts).status === 0) return;
  const lock = join(ROOT, 'node_modules', '.magnetar-build.lock');
  const res = spawnSync('flock', [lock, process.execPath, BUILD_IF_STALE], opts);
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
