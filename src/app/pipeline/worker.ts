/**
 * `magnetar worker`: the consumers without the HTTP API, for deployments that scale them
 * apart from the API; with MAGNETAR_WORKER_PORT also a server of /healthz, /readyz and
 * /metrics. SIGTERM/SIGINT drain the consumers within the shutdown deadline.
 */
import type { Config } from '../../config/index.js';
import { createMetricsRegistry } from '../../observability/metrics.js';
import { startServiceTracing } from '../service-tracing.js';
import { Readiness } from '../readiness.js';
import { startWorkerHttp } from './worker-http.js';
import { ShutdownSequence } from '../shutdown.js';
import { createServiceLogger, prepareDataDir } from '../startup-paths.js';
import {
  startEventPipeline,
  type EventPipeline,
  type EventPipelineOptions,
} from './event-pipeline.js';

export interface RunningWorker {
  pipeline: EventPipeline;
  shutdown: ShutdownSequence;
  /** The operations server's URL, when MAGNETAR_WORKER_PORT is set. */
  url?: string;
}

export async function startWorker(
  config: Config,
  options: Partial<EventPipelineOptions> & { handleSignals?: boolean } = {},
): Promise<RunningWorker> {
  const dataDir = prepareDataDir(config);
  const log = createServiceLogger(config);
  const logger = log.logger;
  const shutdown = new ShutdownSequence(logger);
  shutdown.register('final', 'logger', () => log.flush());
  const tracing = await startServiceTracing(config, logger, shutdown);
  const readiness = new Readiness();
  readiness.add('shutdown', shutdown.readinessCheck);
  const host = {
    config,
    logger,
    registry: createMetricsRegistry(),
    dataDir,
    readiness,
    shutdown,
    tracing,
  };
  let pipeline: EventPipeline;
  let url: string | undefined;
  try {
    pipeline = await startEventPipeline(host, { ...options, role: 'worker' });
    if (config.workerPort !== undefined) url = await startWorkerHttp(host, config.workerPort);
  } catch (err) {
    await shutdown.run('start failed');
    throw err;
  }
  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (shutdown.started) process.exit(1);
      void shutdown.run(signal).then((outcome) => {
        process.exitCode = outcome.clean ? 0 : 1;
        setTimeout(() => process.exit(), 1000).unref();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { pipeline, shutdown, url };
}
