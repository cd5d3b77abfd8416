/**
 * One producer per topic, created on first use and reused. A failed creation is forgotten so
 * the next call tries again (the broker may be back). So is a producer found closed (the
 * broker closed it for good: Pulsar's topic was deleted with auto-creation off, or
 * terminated): it is dropped and closed, and the call makes a new one, which fails at once
 * while the topic is still missing or terminated and succeeds once it exists again.
 */
import type { Broker, Producer, ProducerConfig } from '../broker/index.js';
import { fullTopicName } from '../broker/index.js';

export type ProducerDefaults = Omit<ProducerConfig, 'topic'>;

export class ProducerPool {
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Producers already created, by full topic name: the hot path needs no await. */
  private readonly created = new Map<string, Producer>();
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly defaults: ProducerDefaults = {},
  ) {}

  get(topic: string): Promise<Producer> {
    const full = fullTopicName(topic);
    this.dropIfClosed(full);
    let pending = this.producers.get(full);
    if (!pending) {
      const created = this.broker.createProducer({ ...this.defaults, topic: full });
      pending = created;
      this.producers.set(full, created);
      created.then(
        (producer) => {
          if (this.producers.get(full) === created) this.created.set(full, producer);
        },
        () => {
          if (this.producers.get(full) === created) this.producers.delete(full);
        },
      );
    }
    return pending;
  }

  /** The producer of this full topic name if it exists already (and is open), else undefined. */
  ready(fullName: string): Producer | undefined {
    this.dropIfClosed(fullName);
    return this.created.get(fullName);
  }

  /** Forgets the producer of `full` if it was closed (not by this pool), and closes it. */
  private dropIfClosed(full: string): void {
    const producer = this.created.get(full);
    if (this.closed || producer === undefined || !producer.isClosed()) return;
    this.created.delete(full);
    this.producers.delete(full);
    // Closed already; this releases whatever of it may be left (partitions).
    producer.close().catch(() => undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  topics(): string[] {
    return [...this.producers.keys()];
  }

  async flush(): Promise<void> {
    await Promise.all(
      [...this.producers.values()].map((p) =>
        p.then((producer) => producer.flush()).catch(() => undefined),
      ),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.producers.values()];
    this.producers.clear();
    this.created.clear();
    await Promise.all(
      all.map((p) => p.then((producer) => producer.close()).catch(() => undefined)),
    );
  }
}
