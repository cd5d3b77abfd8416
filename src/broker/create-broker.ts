import { createEmbeddedBroker } from './embedded/index.js';
import { createPulsarBroker } from './pulsar/index.js';
import type { Broker } from './types.js';

/**
 * What createBroker reads; the fields of the application's Config with the same names
 * (MAGNETAR_BROKER, MAGNETAR_DATA_DIR, PULSAR_SERVICE_URL, PULSAR_ADMIN_URL, PULSAR_TOKEN).
 */
export interface BrokerSettings {
  broker: 'embedded' | 'pulsar';
  /** Embedded mode (needed there): directory of the broker's SQLite file. */
  dataDir?: string;
  /** Pulsar mode (needed there): `pulsar://host:6650` or `pulsar+ssl://...`. */
  pulsarServiceUrl?: string;
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
    if (!settings.pulsarServiceUrl)
      throw new TypeError('createBroker: the pulsar broker needs pulsarServiceUrl');
    return createPulsarBroker({
      serviceUrl: settings.pulsarServiceUrl,
      adminUrl: settings.pulsarAdminUrl,
      token: settings.pulsarToken,
      // A service should come back within seconds of a broker restart, not after a minute.
      client: { maxBackoffIntervalMs: 5000, onWarning: settings.onWarning },
    });
  }
  if (settings.broker !== 'embedded')
    throw new TypeError(
      `createBroker: broker must be 'embedded' or 'pulsar' (got ${JSON.stringify(settings.broker)})`,
    );
  if (!settings.dataDir) throw new TypeError('createBroker: the embedded broker needs dataDir');
  return createEmbeddedBroker({ dataDir: settings.dataDir });
}
