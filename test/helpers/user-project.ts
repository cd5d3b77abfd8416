import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A project next to nothing of Magnetar's, with `magnetar` installed as a link to this checkout
 * (its build: run `npm run build` first); removed after the test.
 */
export function userProject(t: { after(fn: () => void): void }): string {
  assert.ok(
    existsSync(join(REPO, 'dist/index.js')),
    'dist/index.js is missing: run `npm run build` first',
  );
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules/magnetar'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  return dir;
}
