/**
 * Event pipeline benchmark, in one run with autocannon:
 *  1. POST /api/v1/events of the built service next to a bare Fastify POST route validating
 *     the same body, with the same autocannon settings and warm-up. The bare route is measured
 *     again right before each service run and each ratio uses that neighbouring bare run, as
 *     the shared machine's load drifts. The service runs in two layouts: `magnetar start` (API,
 *     embedded broker and both consumers in one process) and `magnetar api` + `magnetar
 *     worker` (publishing and consuming in two processes on one data dir);
 *  2. publish-to-activity latency: `occurredAt` is stamped at publish, `processedAt` when the
 *     activity consumer recorded the event, both by the service's clock, read from its
 *     database; under the autocannon load, and at a light load (5 clients).
 * Each server runs in its own process; autocannon runs here. Usage: npm run bench:events
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (s, 2),
 * BENCH_SYNC (broker durability modes to measure, default FULL,NORMAL), BENCH_LAYOUTS
 * (default start,api,api+worker), BENCH_ROOT (checkout whose dist/ is measured, default this one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mintBearer } from './mint-token.js';
import autocannon, { type Options, type Result } from 'autocannon';
import Database from 'better-sqlite3';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The checkout whose built service is measured (another one to compare before/after). */
const SERVICE_ROOT = resolve(process.env.BENCH_ROOT ?? ROOT);
const LAYOUTS = (process.env.BENCH_LAYOUTS ?? 'start,api,api+worker').split(',') as Layout[];
type Layout = 'start' | 'api+worker' | 'api';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const USERS = 64;
const SYNC_MODES = (process.env.BENCH_SYNC ?? 'FULL,NORMAL').split(',');

const children: ChildProcess[] = [];

async function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m && /listening/i.test(line)) resolve(m[1]);
    });
  });
}

function postEvents(url: string, path: string, auth: string | undefined, prefix: string): Options {
  let n = 0;
  return {
    url,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            type: 'item.viewed',
            userId: `${prefix}-${n % USERS}`,
            itemId: `item-${n++ % 500}`,
          }),
        }),
      },
    ],
  };
}

async function run(name: string, opts: Options): Promise<[string, Result]> {
  process.stderr.write(`bench: ${name}\n`);
  if (WARMUP > 0) await autocannon({ ...opts, duration: WARMUP, connections: CONNECTIONS });
  return [name, await autocannon({ ...opts, duration: DURATION, connections: CONNECTIONS })];
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Publish-to-activity latencies (ms) of users with this prefix, once all `expected` arrived. */
async function latencies(dbFile: string, prefix: string, expected: number): Promise<number[]> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const count = db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM activity WHERE user_id LIKE ?',
    );
    const deadline = Date.now() + 120_000;
    while (count.get(`${prefix}-%`)!.n < expected && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const rows = db
      .prepare<[string], { occurred_at: string; processed_at: string }>(
        'SELECT occurred_at, processed_at FROM activity WHERE user_id LIKE ?',
      )
      .all(`${prefix}-%`);
    return rows
      .map((r) => Date.parse(r.processed_at) - Date.parse(r.occurred_at))
      .sort((a, b) => a - b);
  } finally {
    db.close();
  }
}

interface ServiceRun {
  name: string;
  bare: Result;
  result: Result;
  underLoad: number[];
  light: number[];
}

function spawnService(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: SERVICE_ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * One service layout with the given broker durability: the bare route right before it, then
 * the service under load, then the latencies.
 */
async function benchService(layout: Layout, sync: string, bareUrl: string): Promise<ServiceRun> {
  const name = `POST /api/v1/events, ${layout}, MAGNETAR_BROKER_SYNC=${sync}`;
  const [, bare] = await run(
    'POST /events (bare Fastify, same validation)',
    postEvents(bareUrl, '/events', undefined, 'bare'),
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-bench-events-'));
  const env = {
    PATH: process.env.PATH,
    MAGNETAR_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MAGNETAR_RATE_LIMIT_MAX: '1000000000',
    MAGNETAR_BROKER_SYNC: sync,
  };
  // At LOG_LEVEL=warn the service does not log its address: give it a free port and poll.
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const processes: ChildProcess[] = [];
  try {
    if (layout === 'start') processes.push(spawnService(['start'], { ...env, PORT: String(port) }));
    else if (layout === 'api')
      processes.push(spawnService(['api'], { ...env, PORT: String(port) }));
    else {
      processes.push(spawnService(['api'], { ...env, PORT: String(port) }));
      await waitReady(apiUrl);
      processes.push(spawnService(['worker'], env));
    }
    await waitReady(apiUrl);
    const auth = mintBearer(SERVICE_ROOT, env, 'events:write');
    process.stderr.write(`bench: ${name}\n`);
    // Warm-up events use another user prefix so the latency counts only the measured run.
    if (WARMUP > 0)
      await autocannon({
        ...postEvents(apiUrl, '/api/v1/events', auth, 'warm'),
        duration: WARMUP,
        connections: CONNECTIONS,
      });
    const result = await autocannon({
      ...postEvents(apiUrl, '/api/v1/events', auth, 'load'),
      duration: DURATION,
      connections: CONNECTIONS,
    });
    const dbFile = join(dataDir, 'magnetar.db');
    // The `api` layout measures the API tier alone, as deployed apart from its workers: the
    // worker starts after the load, so only the light-load latency means something there.
    if (layout === 'api') processes.push(spawnService(['worker'], env));
    const drained = await latencies(dbFile, 'load', result['2xx']);
    const underLoad = layout === 'api' ? [] : drained;
    // Light load after the backlog drained: 5 clients, 2000 events.
    const lightRun = await autocannon({
      ...postEvents(apiUrl, '/api/v1/events', auth, 'light'),
      connections: 5,
      amount: 2000,
    });
    const light = await latencies(dbFile, 'light', lightRun['2xx']);
    return { name, bare, result, underLoad, light };
  } finally {
    for (const p of processes.reverse()) await stop(p);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  try {
    const bareUrl = await startServer(['--import', 'tsx', 'bench/events-bare-server.ts'], {
      PATH: process.env.PATH,
    });
    const runs: ServiceRun[] = [];
    for (const layout of LAYOUTS)
      for (const sync of SYNC_MODES) runs.push(await benchService(layout, sync, bareUrl));

    console.log(
      `\nautocannon: ${CONNECTIONS} connections, ${DURATION}s per route after ${WARMUP}s warm-up, ` +
        `the same for both sides; ${cpus().length} CPUs, Node ${process.version}, load average ` +
        `${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; servers in separate ` +
        `processes on this machine; service from ${SERVICE_ROOT}/dist. Each service row is ` +
        `compared with the bare run just before it.\n`,
    );
    console.log('| route | req/s | p50 ms | p99 ms | non-2xx | errors | req/s vs bare |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    const row = (name: string, r: Result, base: Result) =>
      console.log(
        `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ` +
          `${r.non2xx} | ${r.errors} | ${(r.requests.average / base.requests.average).toFixed(2)} |`,
      );
    for (const r of runs) {
      row('POST /events (bare Fastify, same validation)', r.bare, r.bare);
      row(r.name, r.result, r.bare);
    }

    console.log('\n| publish-to-activity | events | p50 ms | p99 ms | max ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of runs)
      for (const [name, l] of [
        [`${r.name.replace('POST /api/v1/events, ', '')}, under the load above`, r.underLoad],
        [`${r.name.replace('POST /api/v1/events, ', '')}, light load (5 clients)`, r.light],
      ] as const)
        if (l.length > 0)
          console.log(
            `| ${name} | ${l.length} | ${percentile(l, 50)} | ${percentile(l, 99)} | ${l[l.length - 1]} |`,
          );
  } finally {
    for (const c of children) await stop(c);
  }
}

await main();
