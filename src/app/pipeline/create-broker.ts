/** The broker of the configured mode. */
import type { Broker } from '../../broker/index.js';
import { createEmbeddedBroker } from '../../broker/index.js';
import type { Config } from '../../config/index.js';

export class BrokerModeUnavailableError extends Error {
  readonly code = 'BROKER_MODE_UNAVAILABLE';
  constructor(mode: string) {
    super(`MAGNETAR_BROKER=${mode} is not available in this build; use MAGNETAR_BROKER=embedded`);
    this.name = 'BrokerModeUnavailableError';
  }
}

export async function createBroker(config: Config, dataDir: string): Promise<Broker> {
  if (config.broker === 'embedded')
    return createEmbeddedBroker({ dataDir, synchronous: config.brokerSync });
  throw new BrokerModeUnavailableError(config.broker);
}
