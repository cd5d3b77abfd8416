/**
 * Wraps a real broker to inject the faults a network broker has: going away (not connected,
 * sends refused), slow receipts (sends held until released) and lost receipts (the message is
 * stored, the send fails with Timeout), and topics the cluster does not have. Consumers pass
 * through.
 */
import type { Broker, Producer, ProducerConfig } from '../../src/broker/index.js';
import { BrokerError, fullTopicName } from '../../src/broker/index.js';

export class FaultyBroker implements Broker {
  down = false;
  /** The next this many sends store their message, then fail as if the receipt was lost. */
  receiptsToLose = 0;
  /** Full names of topics the cluster does not have (their namespace is gone). */
  readonly missingTopics = new Set<string>();
  private gate: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(private readonly inner: Broker) {}

  get kind() {
    return this.inner.kind;
  }
  get admin() {
    return this.inner.admin;
  }

  /** Holds every send until `releaseSends`. */
  holdSends(): void {
    this.gate = new Promise((r) => (this.release = r));
  }

  releaseSends(): void {
    this.release?.();
    this.gate = undefined;
  }

  isConnected(): boolean {
    return !this.down && this.inner.isConnected();
  }

  async createProducer(config: ProducerConfig): Promise<Producer> {
    if (this.down) throw new BrokerError('NotConnected', 'broker unreachable');
    if (this.missingTopics.has(fullTopicName(config.topic)))
      throw new BrokerError('TopicNotFound', 'TopicNotFound: Namespace not found');
    const real = await this.inner.createProducer(config);
    return {
      send: async (m) => {
        if (this.down) throw new BrokerError('NotConnected', 'broker unreachable');
        if (this.gate) await this.gate;
        if (this.receiptsToLose === 0) return real.send(m);
        this.receiptsToLose--;
        await real.send(m);
        throw new BrokerError('Timeout', 'no receipt in time (the message was stored)');
      },
      flush: () => real.flush(),
      close: () => real.close(),
      getProducerName: () => real.getProducerName(),
      getTopic: () => real.getTopic(),
      isConnected: () => !this.down && real.isConnected(),
      isClosed: () => real.isClosed(),
    };
  }

  subscribe: Broker['subscribe'] = (config) => this.inner.subscribe(config);

  close(): Promise<void> {
    return this.inner.close();
  }
}
