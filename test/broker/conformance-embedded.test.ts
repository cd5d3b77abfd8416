import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import type { Broker } from '../../src/broker/index.js';
import { runBrokerConformance } from './conformance.js';

const MAX_MESSAGE_SIZE = 1024 * 1024;

runBrokerConformance(
  'embedded',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-conformance-'));
    const open = () => createEmbeddedBroker({ dataDir, maxMessageSize: MAX_MESSAGE_SIZE });
    let broker: Broker = await open();
    return {
      broker,
      restart: async () => {
        await broker.close();
        broker = await open();
        return broker;
      },
      cleanup: async () => {
        await broker.close();
        rmSync(dataDir, { recursive: true, force: true });
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
