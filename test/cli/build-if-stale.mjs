// Builds dist/ when it is older than any file under src/ (run from the repository root).
// With --check it only answers: exit 0 fresh, 1 stale.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of any file under `dir`. */
function newest(dir) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

const cli = join('dist', 'cli', 'main.js');
if (existsSync(cli) && statSync(cli).mtimeMs >= newest('src')) process.exit(0);
if (process.argv.includes('--check')) process.exit(1);
process.exit(spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status ?? 1);
