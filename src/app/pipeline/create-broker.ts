/** The broker of the configured mode: embedded (SQLite in the data dir) or a Pulsar cluster. */
import type { Broker } from '../../broker/index.js';
import { createEmbeddedBroker } from '../../broker/index.js';
import { createPulsarBroker } from '../../broker/pulsar/index.js';
import type { Config } from '../../config/index.js';

export async function createBroker(config: Config, dataDir: string): Promise<Broker> {
  if (config.broker === 'pulsar')
    return createPulsarBroker({
      serviceUrl: config.pulsarServiceUrl,
      adminUrl: config.pulsarAdminUrl,
      ...(config.pulsarToken === undefined ? {} : { token: config.pulsarToken }),
    });
  return createEmbeddedBroker({ dataDir, synchronous: config.brokerSync });
}
