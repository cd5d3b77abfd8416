/**
 * HTTP benchmark: GET /api/v1/users/:id and POST /api/v1/users of the built service, next to
 * a bare Fastify hello route, in one run with autocannon. Two more rows split the cost:
 * /healthz (the plugin stack alone) and a user list (stack + SQLite, no event). Each server runs in its own
 * process; autocannon runs here. Usage: npm run bench:http
 *
 * On a shared machine the load changes from second to second, so the routes are measured in
 * interleaved rounds (each route once per round) and each row reports the median round.
 * Env: BENCH_ROUNDS (3), BENCH_DURATION (s per route per round, 5), BENCH_CONNECTIONS (50),
 * BENCH_WARMUP (s per route before the first round, 2), BENCH_ROOT (checkout whose built
 * service is measured, default this one: compares two versions with the same benchmark).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { mintBearer } from './mint-token.js';
import autocannon, { type Options, type Result } from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVICE_ROOT = resolve(process.env.BENCH_ROOT ?? ROOT);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

const children: ChildProcess[] = [];

/** Spawns the bare server and resolves with the URL it prints. */
async function startHello(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/http-hello-server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`hello server exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) resolve(m[1]);
    });
  });
}

/** Spawns the built service on a free port and waits for /healthz. */
async function startService(env: NodeJS.ProcessEnv): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(process.execPath, ['dist/cli/main.js', 'start'], {
    cwd: SERVICE_ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return url;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error('service did not become healthy');
}

interface Target {
  name: string;
  opts: Options;
}

interface Row {
  name: string;
  reqPerSec: number[];
  p50: number[];
  p99: number[];
  non2xx: number;
  errors: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(targets: Target[]): Promise<Row[]> {
  const rows: Row[] = targets.map((t) => ({
    name: t.name,
    reqPerSec: [],
    p50: [],
    p99: [],
    non2xx: 0,
    errors: 0,
  }));
  for (const t of targets) {
    if (WARMUP > 0) await autocannon({ ...t.opts, duration: WARMUP, connections: CONNECTIONS });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, t] of targets.entries()) {
      process.stderr.write(`bench: round ${round}/${ROUNDS} ${t.name}\n`);
      const r: Result = await autocannon({
        ...t.opts,
        duration: DURATION,
        connections: CONNECTIONS,
      });
      rows[i].reqPerSec.push(r.requests.average);
      rows[i].p50.push(r.latency.p50);
      rows[i].p99.push(r.latency.p99);
      rows[i].non2xx += r.non2xx;
      rows[i].errors += r.errors;
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-bench-'));
  try {
    const helloUrl = await startHello();
    const env = {
      PATH: process.env.PATH,
      MAGNETAR_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      // Request logging off: at info every request writes two JSON lines, which measures pino.
      LOG_LEVEL: 'warn',
      // The limiter still runs on every request; the budget is just large enough not to trip.
      MAGNETAR_RATE_LIMIT_MAX: '1000000000',
    };
    const apiUrl = await startService(env);
    const auth = mintBearer(SERVICE_ROOT, env, 'users:write');
    const seeded = await fetch(`${apiUrl}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench Reader', email: 'reader@bench.example', age: 33 }),
    });
    const userId = ((await seeded.json()) as { data: { id: string } }).data.id;

    let n = 0;
    const rows = await measure([
      { name: 'GET /hello (bare Fastify)', opts: { url: `${helloUrl}/hello` } },
      // The same stack without the domain: every plugin and hook, no database, no event.
      { name: 'GET /healthz (full plugin stack)', opts: { url: `${apiUrl}/healthz` } },
      // A read that publishes nothing: HTTP stack + SQLite.
      { name: 'GET /api/v1/users?limit=1', opts: { url: `${apiUrl}/api/v1/users?limit=1` } },
      // The reference read: SQLite + a user.viewed event handed to the broker (not awaited).
      { name: 'GET /api/v1/users/:id', opts: { url: `${apiUrl}/api/v1/users/${userId}` } },
      {
        name: 'POST /api/v1/users',
        opts: {
          url: apiUrl,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/users',
              headers: { authorization: auth, 'content-type': 'application/json' },
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({
                  name: `Bench ${n}`,
                  email: `b${n++}@bench.example`,
                  age: 30,
                }),
              }),
            },
          ],
        },
      },
    ]);

    const base = median(rows[0].reqPerSec);
    console.log(
      `\nautocannon: ${CONNECTIONS} connections; ${ROUNDS} interleaved rounds of ${DURATION}s per ` +
        `route after ${WARMUP}s warm-up; medians of the rounds; ` +
        `${cpus().length} CPUs, Node ${process.version}, load average ${loadBefore.toFixed(1)} ` +
        `before, ${loadavg()[0].toFixed(1)} after; each server in its own process; service ` +
        `from ${SERVICE_ROOT}/dist\n`,
    );
    console.log('| route | req/s | req/s range | p50 ms | p99 ms | non-2xx | errors | vs bare |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const rps = median(r.reqPerSec);
      const range = `${Math.round(Math.min(...r.reqPerSec))}-${Math.round(Math.max(...r.reqPerSec))}`;
      console.log(
        `| ${r.name} | ${Math.round(rps)} | ${range} | ${median(r.p50)} | ${median(r.p99)} | ` +
          `${r.non2xx} | ${r.errors} | ${(rps / base).toFixed(2)} |`,
      );
    }
  } finally {
    for (const c of children) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
