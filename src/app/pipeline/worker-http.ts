/**
 * The operations server of `magnetar worker` (MAGNETAR_WORKER_PORT): /healthz, /readyz (the
 * broker and each consumer) and /metrics (the consumers' messaging metrics), so a worker is
 * probed and scraped like the API. It serves nothing else; no route takes a token.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/index.js';
import { createHttpServer } from '../../http/server.js';
import { closeHttp } from '../close-http.js';
import type { Readiness } from '../readiness.js';
import { registerHealthRoutes } from '../routes/health-routes.js';
import type { ShutdownSequence } from '../shutdown.js';

export interface WorkerHttpHost {
  config: Config;
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  shutdown: ShutdownSequence;
}

/** Listens on `port`; resolves with the URL. Closed in the shutdown's first phase. */
export async function startWorkerHttp(host: WorkerHttpHost, port: number): Promise<string> {
  const { config } = host;
  const app = await createHttpServer({
    logger: host.logger,
    registry: host.registry,
    // No route here verifies tokens; the server still wants a secret.
    jwtSecret: randomBytes(32).toString('hex'),
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimit: { max: 0, windowMs: config.rateLimitWindowMs },
    corsOrigin: false,
    // Probes and scrapes must be answered when the consumers keep the process busy.
    maxEventLoopDelayMs: 0,
    trustProxy: config.trustProxy,
  });
  registerHealthRoutes(app, host);
  host.shutdown.register('http', 'worker-http', () =>
    // A connection that never finishes its request must not hold the consumers' drain up.
    closeHttp(app, config.shutdownTimeoutMs, host.logger),
  );
  try {
    return await app.listen({ port, host: config.host });
  } catch (err) {
    // For the CLI's "cannot listen" message: which variable sets this port.
    if (err instanceof Error) Object.assign(err, { portVariable: 'MAGNETAR_WORKER_PORT' });
    throw err;
  }
}
