/**
 * One producer per topic, created on first use and reused. A failed creation is forgotten so
 * the next call tries again (the broker may be back).
 */
import type { Broker, Producer, ProducerConfig } from '../broker/index.js';
import { fullTopicName } from '../broker/index.js';

export type ProducerDefaults = Omit<ProducerConfig, 'topic'>;

export class ProducerPool {
  private readonly producers = new Map<string, Promise<Producer>>();
  private closed = false;

  constructor(
    private readonly broker: Broker,
    private readonly defaults: ProducerDefaults = {},
  ) {}

  get(topic: string): Promise<Producer> {
    const full = fullTopicName(topic);
    let pending = this.producers.get(full);
    if (!pending) {
      pending = this.broker.createProducer({ ...this.defaults, topic: full });
      this.producers.set(full, pending);
      pending.catch(() => {
        if (this.producers.get(full) === pending) this.producers.delete(full);
      });
    }
    return pending;
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
    await Promise.all(
      all.map((p) => p.then((producer) => producer.close()).catch(() => undefined)),
    );
  }
}
