/**
 * The service as a real child process (`magnetar start` from the sources), on a given data
 * dir and a free port; the test reads its URL from the log and stops it by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

export const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
export const CHILD_SECRET = 'child-service-secret-0123456789-abcdef';

export function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MAGNETAR_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'info',
    MAGNETAR_JWT_SECRET: CHILD_SECRET,
    MAGNETAR_RATE_LIMIT_MAX: '0',
    MAGNETAR_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...extra,
  };
}

export interface ChildService {
  child: ChildProcess;
  url: string;
  /** Everything the child wrote to stdout and stderr. */
  output(): string;
}

/** `argv` after node's own: the CLI with `args` by default, or a fixture script of a test. */
export async function startChildService(
  t: TestContext,
  dataDir: string,
  args: string[] = ['start'],
  argv: string[] = [...CLI, ...args],
  env: Record<string, string> = {},
): Promise<ChildService> {
  const child = spawn(process.execPath, argv, {
    env: childEnv(dataDir, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code ?? signal} before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out };
}

/** How the child ended; with `timeoutMs`, a child still running by then fails the test. */
export async function exitOf(
  child: ChildProcess,
  timeoutMs?: number,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  const ac = new AbortController();
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => ac.abort(new Error(`pid ${child.pid} still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
  try {
    const [code, signal] = (await once(child, 'exit', { signal: ac.signal })) as [
      number | null,
      string | null,
    ];
    return { code, signal };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a CLI command to completion; returns its stdout lines parsed as JSON. */
export function runCli(dataDir: string, args: string[]): unknown[] {
  const res = spawnSync(process.execPath, [...CLI, ...args], {
    env: childEnv(dataDir, { LOG_LEVEL: 'warn' }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0)
    throw new Error(`magnetar ${args.join(' ')} exited ${res.status}:\n${res.stderr}`);
  return res.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}
