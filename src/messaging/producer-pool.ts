/**
 * One producer per topic, created on first use and reused. A failed creation is forgotten so
 * the next call tries again (the broker may be back).
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

  /** The producer of this full topic name if it exists already, else undefined. */
  ready(fullName: string): Producer | undefined {
    return this.created.get(fullName);
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
