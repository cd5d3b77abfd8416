import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEmbeddedBroker, type Broker } from '../../../src/broker/index.js';

/** The script another process runs on a data dir (test/broker/fixtures/second-process.ts). */
export const SECOND = fileURLToPath(new URL('../fixtures/second-process.ts', import.meta.url));
const run = promisify(execFile);

/** Runs SECOND with `args` in a child process; its stdout lines. */
export async function second(...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SECOND, ...args], {
    timeout: 60_000,
  });
  return stdout.split('\n').filter(Boolean);
}

/** A broker on a fresh data dir (polling other processes' appends every 50 ms), closed at the end. */
export async function openBroker(
  t: TestContext,
  prefix: string,
): Promise<{ dataDir: string; broker: Broker }> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const broker = await createEmbeddedBroker({ dataDir, externalPollIntervalMs: 50 });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { dataDir, broker };
}
