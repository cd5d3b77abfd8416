/**
 * The whole service (API + event pipeline + consumers) in this process, listening on a real
 * socket on port 0 with a fresh data dir; shut down and removed after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startService, type RunningService } from '../../src/app/service.js';
import { eventPipelineExtension } from '../../src/app/pipeline/pipeline-extension.js';
import type { EventPipelineOptions } from '../../src/app/pipeline/event-pipeline.js';
import { loadConfig } from '../../src/config/index.js';
import { signToken } from '../../src/http/tokens.js';

export const SECRET = 'pipeline-test-secret-0123456789-abcdef';

export interface ServiceUnderTest {
  service: RunningService;
  url: string;
  dataDir: string;
  token(scopes: string[]): string;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    headers: Headers;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
    body: any; // an envelope {code, message, data} under /api; /readyz has {status, checks}
  }>;
}

export async function startServiceUnderTest(
  t: TestContext,
  pipeline: Partial<EventPipelineOptions> = {},
  env: Record<string, string> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'magnetar-pipeline-')),
): Promise<ServiceUnderTest> {
  const config = loadConfig({
    MAGNETAR_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    MAGNETAR_JWT_SECRET: SECRET,
    MAGNETAR_RATE_LIMIT_MAX: '0',
    MAGNETAR_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const service = await startService(config, {
    extensions: [eventPipelineExtension({ role: 'start', ...pipeline })],
    handleSignals: false,
  });
  t.after(async () => {
    await service.shutdown.run('test over');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const token = (scopes: string[]) =>
    signToken(SECRET, { subject: 'tester', scopes, ttlMs: 600_000 });
  const admin = token(['events:write', 'users:write', 'admin']);
  return {
    service,
    url: service.url,
    dataDir,
    token,
    async request(method, path, body, headers = {}) {
      const res = await fetch(service.url + path, {
        method,
        headers: {
          authorization: `Bearer ${admin}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
  };
}

export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > end)
      throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
