import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import type { Broker } from '../../src/broker/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { runBrokerConformance } from './conformance.js';

// Pulsar's default maxMessageSize (5 MiB), which the harness's standalone keeps.
const MAX_MESSAGE_SIZE = 5 * 1024 * 1024;

runBrokerConformance(
  'pulsar',
  async () => {
    const env = await ensurePulsar();
    const open = () => createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
    let broker: Broker = await open();
    return {
      broker,
      // The broker keeps the state; "restart" reopens the client side: every connection,
      // producer and consumer closed, then a new client on the same cluster. Restarting
      // the standalone itself is test/pulsar/reconnect-broker-restart.test.ts.
      restart: async () => {
        await broker.close();
        broker = await open();
        return broker;
      },
      cleanup: async () => {
        await broker.close();
      },
    };
  },
  {
    restart: true,
    failover: true,
    keyShared: true,
    ackTimeout: true,
    retryTopic: true,
    deadLetter: true,
    delayedDelivery: true,
    admin: true,
    maxMessageSize: MAX_MESSAGE_SIZE,
  },
);
