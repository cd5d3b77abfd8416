/**
 * The broker conformance suite: one description of the Broker contract's behaviour, run
 * unchanged against every backend (embedded now, Pulsar through its adapter). Behaviour a
 * backend lacks is switched off through `features` and reported as a skipped test, never
 * silently passed.
 */
import { describe } from 'node:test';
import type { Broker } from '../../src/broker/index.js';
import { adminTests } from './conformance/admin.js';
import { basicTests } from './conformance/basics.js';
import { delayedTests } from './conformance/delayed.js';
import { durabilityTests } from './conformance/durability.js';
import { errorTests } from './conformance/errors.js';
import { type Harness, makeHarness } from './conformance/harness.js';
import { letterTests } from './conformance/letters.js';
import { redeliveryTests } from './conformance/redelivery.js';
import { subscriptionTypeTests } from './conformance/subscription-types.js';

export interface BrokerFeatures {
  /** `restart` is provided and the backend keeps messages, cursors and acks across it. */
  restart: boolean;
  failover: boolean;
  keyShared: boolean;
  ackTimeout: boolean;
  retryTopic: boolean;
  deadLetter: boolean;
  delayedDelivery: boolean;
  admin: boolean;
  /** Largest payload the backend accepts, to check MessageTooBig; undefined skips that check. */
  maxMessageSize: number | undefined;
}

export interface ConformanceTiming {
  /** ackTimeoutMs given to consumers in the ack-timeout test. */
  ackTimeoutMs: number;
  /** nAckRedeliverTimeoutMs given to consumers in the nack and dead-letter tests. */
  nackDelayMs: number;
  /** deliverAfter / reconsumeLater delay. */
  delayMs: number;
  /** How long to wait for a message that must arrive. */
  receiveTimeoutMs: number;
  /** How long to wait to be confident a message does not arrive. */
  quietMs: number;
}

export const DEFAULT_TIMING: ConformanceTiming = {
  ackTimeoutMs: 1000,
  nackDelayMs: 1000,
  delayMs: 1000,
  receiveTimeoutMs: 10_000,
  quietMs: 500,
};

export interface BrokerUnderTest {
  broker: Broker;
  /** Closes the broker and opens it again on the same storage; returns the new instance. */
  restart?: () => Promise<Broker>;
  /** Closes whatever the factory opened and removes its storage. */
  cleanup: () => Promise<void>;
}

export interface BrokerFactoryContext {
  /** Name of the test asking, for logs and storage names. */
  testName: string;
}

export type BrokerFactory = (ctx: BrokerFactoryContext) => Promise<BrokerUnderTest>;

export function runBrokerConformance(
  backend: string,
  makeBroker: BrokerFactory,
  features: BrokerFeatures,
  timing: Partial<ConformanceTiming> = {},
): void {
  const h: Harness = makeHarness(backend, makeBroker, features, { ...DEFAULT_TIMING, ...timing });
  describe(`broker conformance: ${backend}`, () => {
    basicTests(h);
    subscriptionTypeTests(h);
    redeliveryTests(h);
    letterTests(h);
    delayedTests(h);
    durabilityTests(h);
    errorTests(h);
    adminTests(h);
  });
}
