import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { HttpServer } from '../http/types.js';
import type { AppLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { startServiceTracing } from './service-tracing.js';
import { buildApp } from './build-app.js';
import { openServiceDatabase, SERVICE_DB_FILE, startCheckpoints } from './db/database.js';
import type { AppDeps } from './deps.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { Readiness } from './readiness.js';
import { ShutdownSequence } from './shutdown.js';
import { closeHttp } from './close-http.js';
import { createServiceLogger, prepareDataDir } from './startup-paths.js';

/** What an extension (the event pipeline, the scheduler...) gets before the app is built. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Absolute data directory; each part keeps its own files (the broker its own database). */
  dataDir: string;
  readiness: Readiness;
  shutdown: ShutdownSequence;
  /** OpenTelemetry tracing, when an OTLP endpoint is configured. */
  tracing?: Tracing;
  /** Set `broker` / `publisher` / `pipeline` here to hand them to the routes. */
  deps: Partial<Pick<AppDeps, 'broker' | 'publisher' | 'pipeline'>>;
}

/** Starts a part of the service; registers its readiness checks and shutdown hooks. */
export type ServiceExtension = (ctx: ServiceContext) => void | Promise<void>;

export interface ServiceOptions {
  extensions?: readonly ServiceExtension[];
  /** Default true: SIGTERM/SIGINT run the shutdown sequence, then the process exits. */
  handleSignals?: boolean;
}

export interface RunningService {
  app: HttpServer;
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  logger: Logger;
  shutdown: ShutdownSequence;
  db: Database;
}

/** Starts the API: logger, metrics, database, secret, extensions, HTTP server, signals. */
export async function startService(
  config: Config,
  opts: ServiceOptions = {},
): Promise<RunningService> {
  const dataDir = prepareDataDir(config);
  const log = createServiceLogger(config);
  const logger = log.logger;
  const shutdown = new ShutdownSequence(logger);
  shutdown.register('final', 'logger', () => log.flush());
  try {
    // First: the request spans must be registered before any route.
    const tracing = await startServiceTracing(config, logger, shutdown);
    const registry = createMetricsRegistry();
    const readiness = new Readiness();
    const db = openServiceDatabase(join(dataDir, SERVICE_DB_FILE));
    shutdown.register('database', 'service-db', () => {
      db.close();
    });
    // Registered after the close, so it runs before it (a phase runs its hooks in reverse).
    shutdown.register('database', 'service-db-checkpoints', startCheckpoints(db));
    readiness.add('database', () => {
      db.prepare('SELECT 1').get();
      return { ok: true };
    });
    readiness.add('shutdown', shutdown.readinessCheck);

    const secret = resolveJwtSecret(config.jwtSecret, dataDir);
    if (secret.source === 'generated') {
      logger.info(
        { file: secret.file },
        'generated a JWT secret; mint a token with: npx magnetar token --sub you --scope users:write,events:write',
      );
    }

    const ctx: ServiceContext = {
      config,
      logger,
      registry,
      dataDir,
      readiness,
      shutdown,
      tracing,
      deps: {},
    };
    for (const extension of opts.extensions ?? []) await extension(ctx);

    const app = await buildApp({
      config,
      logger,
      registry,
      db,
      jwtSecret: secret.secret,
      readiness,
      tracing,
      ...ctx.deps,
    });
    shutdown.register('http', 'http-server', () =>
      // The drain window comes first (request-gate.ts), then in-flight requests get their time.
      closeHttp(app, config.shutdownDrainMs + config.shutdownTimeoutMs, logger),
    );
    const url = await app.listen({ port: config.port, host: config.host });
    if (opts.handleSignals ?? true) installSignalHandlers(shutdown, logger, log);
    return { app, url, logger, shutdown, db };
  } catch (err) {
    // Whatever started before the failure is closed again, in order.
    await shutdown.run('start failed');
    throw err;
  }
}

function installSignalHandlers(shutdown: ShutdownSequence, logger: Logger, log: AppLogger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.started) {
      logger.warn({ signal }, 'second signal: exiting now');
      log.flush();
      process.exit(1);
    }
    void shutdown.run(signal).then((outcome) => {
      process.exitCode = outcome.clean ? 0 : 1;
      // Anything still holding the event loop open (a stray timer) must not keep us alive.
      setTimeout(() => process.exit(), 1000).unref();
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
