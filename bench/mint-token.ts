// A bearer token for benchmark load, minted by the built CLI of the measured checkout with the
// same environment (data dir, secret) as the service under test.
import { spawnSync } from 'node:child_process';

export function mintBearer(serviceRoot: string, env: NodeJS.ProcessEnv, scope: string): string {
  const minted = spawnSync(
    process.execPath,
    ['dist/cli/main.js', 'token', '--sub', 'bench', '--scope', scope],
    { cwd: serviceRoot, env, encoding: 'utf8' },
  );
  if (minted.status !== 0) throw new Error(`token: ${minted.stderr}`);
  return `Bearer ${minted.stdout.trim()}`;
}
