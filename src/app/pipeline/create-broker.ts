/**
 * The service's broker: the broker layer's factory for the configured mode, with the
 * embedded broker's durability (MAGNETAR_BROKER_SYNC) and data dir resolved by the service.
 */
import type { Broker } from '../../broker/index.js';
import { createEmbeddedBroker } from '../../broker/index.js';
import { createBroker as createConfiguredBroker } from '../../broker/create-broker.js';
import type { Config } from '../../config/index.js';

export async function createBroker(config: Config, dataDir: string): Promise<Broker> {
  if (config.broker === 'embedded')
    return createEmbeddedBroker({ dataDir, synchronous: config.brokerSync });
  return createConfiguredBroker({ ...config, dataDir });
}
