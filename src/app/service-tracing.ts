/** Tracing for `start`, `api` and `worker`: started first, flushed last, warnings logged. */
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { startTracing, tracesUrl, type Tracing } from '../observability/tracing.js';
import { API_VERSION } from './build-app.js';
import type { ShutdownSequence } from './shutdown.js';

export async function startServiceTracing(
  config: Config,
  logger: Logger,
  shutdown: ShutdownSequence,
): Promise<Tracing | undefined> {
  const tracing = await startTracing(config, API_VERSION, (message) =>
    logger.warn({ component: 'tracing' }, message),
  );
  if (tracing === undefined) return undefined;
  shutdown.register('final', 'tracing', () => tracing.shutdown());
  logger.info(
    { serviceName: config.otelServiceName, endpoint: withoutSecrets(tracesUrl(config)) },
    'exporting traces over OTLP',
  );
  return tracing;
}

/** The collector's address without the user, password or query string it may carry. */
export function withoutSecrets(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '[not a URL]';
  }
}
