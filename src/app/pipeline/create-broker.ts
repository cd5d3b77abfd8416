/**
 * The service's broker: the broker layer's factory for the configured mode, with the
 * embedded broker's durability (MAGNETAR_BROKER_SYNC) and data dir resolved by the service.
 */
import type { Logger } from 'pino';
import type { Broker } from '../../broker/index.js';
import { createEmbeddedBroker } from '../../broker/index.js';
import { createBroker as createConfiguredBroker } from '../../broker/create-broker.js';
import type { Config } from '../../config/index.js';
import { ConnectingBroker, isTransient } from './connecting-broker.js';

/**
 * For one-shot commands: fails at once when a network broker cannot be reached. `log` gets
 * the warnings of background work (such as following a topic's partitions).
 */
export async function createBroker(config: Config, dataDir: string, log?: Logger): Promise<Broker> {
  if (config.broker === 'embedded')
    return createEmbeddedBroker({ dataDir, synchronous: config.brokerSync });
  const onWarning = log && ((message: string, cause: unknown) => log.warn({ err: cause }, message));
  return createConfiguredBroker({ ...config, dataDir, onWarning });
}

/**
 * For the long-running roles: a network broker that is down at start is waited for (see
 * ConnectingBroker); a misconfigured one still fails the start.
 */
export async function createServiceBroker(
  config: Config,
  dataDir: string,
  log: Logger,
): Promise<Broker> {
  if (config.broker === 'embedded') return createBroker(config, dataDir);
  return ConnectingBroker.start(config.broker, () => createBroker(config, dataDir, log), {
    onAttempt: (attempt, err) => {
      if (!err) log.info({ attempt }, 'broker connected');
      else if (isTransient(err))
        log.warn({ attempt, err: err.message }, 'broker not reachable yet; trying again');
      else log.error({ attempt, err: err.message }, 'broker refused the connection; trying again');
    },
  });
}
