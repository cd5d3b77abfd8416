#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node:test (through tsx).
// Usage: node scripts/run-tests.mjs [--only SUBSTRING] [--skip-pulsar] [files...]
// If a selected file needs the real Pulsar broker (scripts/pulsar/needs-pulsar.mjs) and none
// is running, the broker is started first and stopped afterwards (unless another test run
// still uses it); --skip-pulsar leaves those files out instead.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { needsPulsar } from './pulsar/needs-pulsar.mjs';

const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args.splice(onlyIdx, 2)[1] : undefined;
const skipIdx = args.indexOf('--skip-pulsar');
const skipPulsar = skipIdx >= 0 && args.splice(skipIdx, 1).length > 0;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

let files = args.length > 0 ? args : walk('test').sort();
if (only) files = files.filter((f) => f.includes(only));
if (skipPulsar) files = files.filter((f) => !needsPulsar(f));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests that need Pulsar share one standalone broker, started here if none runs. This run
// holds a lease on it; releasing the lease stops the broker only if a test run started it and
// no other run still uses it (scripts/pulsar/leases.mjs).
const pulsarCli = join('scripts', 'pulsar', 'cli.mjs');
const pulsar = (...command) =>
  spawnSync(process.execPath, [pulsarCli, ...command, '--lease', String(process.pid)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  }).status;
const usesPulsar = files.some(needsPulsar);
if (usesPulsar && pulsar('start') !== 0) {
  console.error('could not start Apache Pulsar for the tests that need it (see above)');
  process.exit(1);
}
/** Longer than any test file takes on its own (the Pulsar suites take a few minutes). */
const FILE_TIMEOUT_MS = 15 * 60_000;
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    // A file whose tests are done but whose process cannot exit (a handle left open after a
    // failure) is cancelled, and so fails, instead of holding the run up forever.
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
// Ctrl-C reaches the test process too; wait for it to end so the broker is still stopped.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('close', (code) => {
  if (usesPulsar) pulsar('release');
  process.exit(code ?? 1);
});
