// Clients and adapter brokers for tests that delete or terminate topics under them: they try
// again within 200 ms (so a refusal for good shows at once), and close when the test ends.
import { createPulsarBroker, type PulsarBroker } from '../../src/broker/pulsar/index.js';
import { ProducerPool } from '../../src/messaging/index.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import type { PulsarEnv } from '../helpers/pulsar.js';

type After = { after(fn: () => unknown): void };

export function quickClient(t: After, env: PulsarEnv): PulsarClient {
  const client = new PulsarClient({ serviceUrl: env.serviceUrl, maxBackoffIntervalMs: 200 });
  t.after(() => client.close());
  return client;
}

function unclosedQuickBroker(env: PulsarEnv): Promise<PulsarBroker> {
  return createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    client: { maxBackoffIntervalMs: 200 },
  });
}

export async function quickBroker(t: After, env: PulsarEnv): Promise<PulsarBroker> {
  const broker = await unclosedQuickBroker(env);
  t.after(() => broker.close());
  return broker;
}

/** A broker and a producer pool on it (as the service's runners use), the pool closed first. */
export async function quickBrokerWithPool(
  t: After,
  env: PulsarEnv,
): Promise<{ broker: PulsarBroker; pool: ProducerPool }> {
  const broker = await unclosedQuickBroker(env);
  const pool = new ProducerPool(broker);
  t.after(async () => {
    await pool.close();
    await broker.close();
  });
  return { broker, pool };
}
