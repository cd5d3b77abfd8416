/**
 * Consumer benchmark, in two parts.
 *
 * 1. Drain: how fast `magnetar worker` works off a backlog, and what each
 * event costs it in CPU. It publishes BENCH_EVENTS events to `user-events` of a fresh data
 * dir with the service's own Publisher (as the API does: keyed by userId, 64 users, 500
 * items), then starts the built worker on that dir and watches the service database until
 * both reference consumers (`activity` and `recommendations`) have recorded every event.
 *
 * Prints events/s over the drain (first to last activity row, by the worker's clock), the
 * wall time from the worker's start, and the worker's CPU time per event (user + system from
 * /proc, startup included, both subscriptions: each event is consumed twice).
 * 2. `magnetar start` at a fixed rate: autocannon posts BENCH_RATE events/s (default 2000) for
 * BENCH_DURATION s to the API of one process that also runs both consumers; prints the
 * process's CPU per accepted event (API, broker and both consumers together, warm-up
 * excluded) and the publish-to-activity latency. A fixed rate keeps the work the same on both
 * sides of a comparison, where a saturating load would not.
 * Usage: npm run bench:consume
 * Env: BENCH_EVENTS (default 50000), BENCH_USERS (distinct keys, default 64), BENCH_RUNS (default 1), BENCH_SYNC (MAGNETAR_BROKER_SYNC
 * of the worker, default FULL), BENCH_ROOT (checkout whose dist/ is measured, default this
 * one), BENCH_CPU_PROF (a directory: the worker writes a V8 CPU profile there), BENCH_RATE
 * (0 skips part 2), BENCH_DURATION (s, default 10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mintBearer } from './mint-token.js';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVICE_ROOT = resolve(process.env.BENCH_ROOT ?? ROOT);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const SYNC = process.env.BENCH_SYNC ?? 'FULL';
const CPU_PROF = process.env.BENCH_CPU_PROF;
const USERS = Number(process.env.BENCH_USERS ?? 64);
const ITEMS = 500;
const BATCH = 500;
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);

interface BrokerModule {
  createEmbeddedBroker(o: { dataDir: string; synchronous?: string }): Promise<{
    close(): Promise<void>;
  }>;
}
interface MessagingModule {
  Publisher: new (
    broker: unknown,
    o: { service: string; maxInFlight?: number },
  ) => {
    publishEvents(topic: string, events: object[]): Promise<unknown[]>;
    close(): Promise<void>;
  };
}

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(SERVICE_ROOT, path)).href)) as T;
}

/** Publishes the backlog through the service's Publisher, as the API would. */
async function fill(dataDir: string): Promise<void> {
  const { createEmbeddedBroker } = await load<BrokerModule>('dist/broker/index.js');
  const { Publisher } = await load<MessagingModule>('dist/messaging/index.js');
  const broker = await createEmbeddedBroker({ dataDir, synchronous: 'NORMAL' });
  const publisher = new Publisher(broker, { service: 'bench', maxInFlight: BATCH * 2 });
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      events.push({
        eventId: randomUUID(),
        type: 'item.viewed',
        userId: `user-${j % USERS}`,
        itemId: `item-${(j * 7) % ITEMS}`,
        occurredAt: new Date().toISOString(),
      });
    }
    await publisher.publishEvents('user-events', events);
  }
  await publisher.close();
  await broker.close();
}

/** utime + stime of a process, ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

interface Drain {
  wallMs: number;
  drainMs: number;
  cpuMs: number;
}

async function drain(dataDir: string): Promise<Drain> {
  const args = [
    ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []),
    'dist/cli/main.js',
    'worker',
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: SERVICE_ROOT,
    env: {
      PATH: process.env.PATH,
      MAGNETAR_DATA_DIR: dataDir,
      MAGNETAR_BROKER_SYNC: SYNC,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let failed = false;
  void exited.then(() => (failed = true));
  const dbFile = join(dataDir, 'magnetar.db');
  const deadline = Date.now() + 600_000;
  let db: Database.Database | undefined;
  try {
    for (;;) {
      if (failed) throw new Error('the worker exited before draining the backlog');
      if (Date.now() > deadline) throw new Error('the worker did not drain in 10 minutes');
      await new Promise((r) => setTimeout(r, 20));
      if (db === undefined) {
        if (!existsSync(dbFile)) continue;
        db = new Database(dbFile, { readonly: true });
      }
      try {
        const activity = db.prepare('SELECT count(*) FROM activity').pluck().get() as number;
        const recs = db.prepare('SELECT count(*) FROM rec_seen_events').pluck().get() as number;
        if (activity >= EVENTS && recs >= EVENTS) break;
      } catch {
        // Tables not created yet.
      }
    }
    const wallMs = Date.now() - started;
    const cpu = cpuMs(child.pid!);
    const window = db
      .prepare('SELECT min(processed_at) AS first, max(processed_at) AS last FROM activity')
      .get() as { first: string; last: string };
    return {
      wallMs,
      drainMs: Math.max(1, Date.parse(window.last) - Date.parse(window.first)),
      cpuMs: cpu,
    };
  } finally {
    db?.close();
    child.kill('SIGTERM');
    await exited;
  }
}

/** `magnetar start` under a fixed request rate: CPU per accepted event and latency. */
async function atRate(dataDir: string): Promise<string> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env = {
    PATH: process.env.PATH,
    MAGNETAR_DATA_DIR: dataDir,
    MAGNETAR_BROKER_SYNC: SYNC,
    MAGNETAR_RATE_LIMIT_MAX: '1000000000',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const child: ChildProcess = spawn(process.execPath, ['dist/cli/main.js', 'start'], {
    cwd: SERVICE_ROOT,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error('magnetar start exited');
      if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const auth = mintBearer(SERVICE_ROOT, env, 'events:write');
    let n = 0;
    const options = {
      url,
      connections: 20,
      overallRate: RATE,
      requests: [
        {
          method: 'POST' as const,
          path: '/api/v1/events',
          headers: { 'content-type': 'application/json', authorization: auth },
          setupRequest: (req: object) => ({
            ...req,
            body: JSON.stringify({
              type: 'item.viewed',
              userId: `user-${n % USERS}`,
              itemId: `item-${n++ % ITEMS}`,
            }),
          }),
        },
      ],
    };
    await autocannon({ ...options, duration: 2 });
    const cpuBefore = cpuMs(child.pid!);
    const startedAt = new Date().toISOString();
    const result = await autocannon({ ...options, duration: DURATION });
    const cpu = cpuMs(child.pid!) - cpuBefore;
    const accepted = result['2xx'];
    await new Promise((r) => setTimeout(r, 2000));
    const db = new Database(join(dataDir, 'magnetar.db'), { readonly: true });
    const lat = db
      .prepare<[string], { o: string; p: string }>(
        'SELECT occurred_at AS o, processed_at AS p FROM activity WHERE occurred_at >= ?',
      )
      .all(startedAt)
      .map((r) => Date.parse(r.p) - Date.parse(r.o))
      .sort((a, b) => a - b);
    db.close();
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    return (
      `start at ${RATE} req/s: ${fmt(result.requests.average)} req/s accepted (${accepted} 2xx,` +
      ` ${result.non2xx} other), process CPU ${fmt((cpu * 1000) / Math.max(1, accepted))} µs/event` +
      ` (${fmt((cpu / (DURATION * 1000)) * 100)}% of a core), publish-to-activity p50 ${q(0.5)}` +
      ` p99 ${q(0.99)} ms (${lat.length} events)`
    );
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const fmt = (n: number, d = 0) => n.toFixed(d);
process.stdout.write(
  `bench:consume  ${SERVICE_ROOT}  events=${EVENTS} sync=${SYNC} cpus=${cpus().length}` +
    ` load=${loadavg()
      .map((l) => l.toFixed(2))
      .join('/')}\n`,
);
for (let run = 1; run <= RUNS; run++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-bench-consume-'));
  try {
    await fill(dataDir);
    const d = await drain(dataDir);
    process.stdout.write(
      `run ${run}: worker drain ${fmt((EVENTS * 1000) / d.drainMs)} events/s` +
        ` (${fmt(d.drainMs)} ms), ${fmt(d.wallMs)} ms from worker start,` +
        ` worker CPU ${fmt((d.cpuMs * 1000) / EVENTS, 1)} µs/event (${fmt(d.cpuMs)} ms)\n`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (RATE > 0) {
    const startDir = mkdtempSync(join(tmpdir(), 'magnetar-bench-start-'));
    try {
      process.stdout.write(`run ${run}: ${await atRate(startDir)}\n`);
    } finally {
      rmSync(startDir, { recursive: true, force: true });
    }
  }
}
