import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { buildApp } from '../../src/app/build-app.js';
import { openServiceDatabase } from '../../src/app/db/database.js';
import type { AppDeps } from '../../src/app/deps.js';
import { Readiness } from '../../src/app/readiness.js';
import type { RouteModule } from '../../src/app/routes/index.js';
import { ROUTES } from '../../src/app/routes/index.js';
import { loadConfig } from '../../src/config/index.js';
import { signToken } from '../../src/http/tokens.js';
import type { HttpServer } from '../../src/http/types.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export interface Harness {
  app: HttpServer;
  deps: AppDeps;
  dataDir: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  token(scopes: string[], subject?: string, ttlMs?: number): string;
}

/** The real app on a fresh SQLite file in a temp dir; closed and removed after the test. */
export async function startHarness(
  t: TestContext,
  opts: {
    env?: Record<string, string>;
    routes?: readonly RouteModule[];
    deps?: Partial<AppDeps>;
  } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-app-'));
  const config = loadConfig({ MAGNETAR_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...opts.env });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ level: config.logLevel }, sink);
  const db = openServiceDatabase(join(dataDir, 'magnetar.db'));
  const deps: AppDeps = {
    config,
    logger,
    registry: createMetricsRegistry(),
    db,
    jwtSecret: TEST_SECRET,
    readiness: new Readiness(),
    ...opts.deps,
  };
  const app = await buildApp(deps, opts.routes ?? ROUTES);
  await app.ready();
  t.after(async () => {
    await app.close();
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    app,
    deps,
    dataDir,
    logs,
    token: (scopes, subject = 'tester', ttlMs = 60_000) =>
      signToken(TEST_SECRET, { subject, scopes, ttlMs }),
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
