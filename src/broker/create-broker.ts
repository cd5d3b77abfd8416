import { createEmbeddedBroker } from './embedded/index.js';
import { createPulsarBroker } from './pulsar/index.js';
import type { Broker } from './types.js';

/**
 * What createBroker reads; the fields of the application's Config with the same names
 * (MAGNETAR_BROKER, MAGNETAR_DATA_DIR, PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, PULSAR_TOKEN).
 */
export interface BrokerSettings {
  broker: 'embedded' | 'pulsar';
  /** Embedded mode: directory of the broker's SQLite file. */
  dataDir: string;
  pulsarServiceUrl: string;
  pulsarAdminUrl?: string;
  pulsarToken?: string;
  /** Pulsar mode: told of background work that failed and will be tried again (logged). */
  onWarning?: (message: string, cause: unknown) => void;
}

/**
 * The broker of the configured mode: the embedded SQLite broker, or a connection to a real
 * Pulsar cluster (resolves once the cluster answered a metadata lookup, so a wrong URL or
 * token fails at start instead of at the first publish).
 */
export async function createBroker(settings: BrokerSettings): Promise<Broker> {
  if (settings.broker === 'pulsar') {
    return createPulsarBroker({
      serviceUrl: settings.pulsarServiceUrl,
      adminUrl: settings.pulsarAdminUrl,
      token: settings.pulsarToken,
      // A service should come back within seconds of a broker restart, not after a minute.
      client: { maxBackoffIntervalMs: 5000, onWarning: settings.onWarning },
    });
  }
  return createEmbeddedBroker({ dataDir: settings.dataDir });
}
