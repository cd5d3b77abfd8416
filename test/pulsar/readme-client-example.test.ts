// The README's example of the Pulsar client on its own, run as a user of the package runs it
// (`import ... from 'magnetar'`, resolved to the build: run `npm run build` first) against the
// standalone broker. The code is read from README.md, so the two cannot drift apart.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ensurePulsar } from '../helpers/pulsar.js';
import { REPO, userProject } from '../helpers/user-project.js';

const run = promisify(execFile);
const README_URL = 'pulsar://127.0.0.1:6650';

/** The first code block after the heading "The Pulsar client on its own". */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.indexOf('### The Pulsar client on its own');
  assert.ok(section >= 0, 'README section "The Pulsar client on its own" is missing');
  const block = /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(block, 'the section has no code block');
  return block[1];
}

test("the README's Pulsar client example runs as written against the standalone", async (t) => {
  const env = await ensurePulsar();
  const code = readmeExample();
  assert.ok(code.includes(README_URL), `the example connects to ${README_URL}`);
  const dir = userProject(t);
  // Only the address changes: the standalone of the tests listens elsewhere.
  writeFileSync(join(dir, 'example.mjs'), code.replaceAll(README_URL, env.serviceUrl));
  const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: dir, timeout: 60_000 });
  assert.equal(stdout.trim(), 'hello');
});
