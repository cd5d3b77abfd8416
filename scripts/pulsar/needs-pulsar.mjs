// Which test files need the real Pulsar broker: those that import test/helpers/pulsar.ts,
// directly or through other local modules (fixtures), and those that carry the marker
// comment `magnetar:needs-pulsar`. scripts/run-tests.mjs starts the broker only for them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const HELPER = resolve('test/helpers/pulsar.ts');
const MARKER = 'magnetar:needs-pulsar';
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceOf(specifier, fromFile) {
  const abs = resolve(dirname(fromFile), specifier);
  for (const candidate of [abs.replace(/\.js$/, '.ts'), abs, `${abs}.ts`]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True if `file` (a path) reaches the Pulsar test helper or has the marker. */
export function needsPulsar(file) {
  const seen = new Set();
  const stack = [resolve(file)];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === HELPER) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    let text;
    try {
      text = readFileSync(current, 'utf8');
    } catch {
      continue;
    }
    if (text.includes(MARKER)) return true;
    for (const m of text.matchAll(RELATIVE_IMPORT)) {
      const next = sourceOf(m[1], current);
      // Only the project's own test and source modules can reach the helper.
      if (next && !next.includes('node_modules')) stack.push(next);
    }
  }
  return false;
}
