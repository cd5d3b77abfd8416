import type { PulsarClient } from './client.js';
import { PulsarClientError } from './errors.js';
import type { MessageId } from './message-id.js';
import type { ProducerMessage, ProducerOptions } from './options.js';
import type { Producer } from './producer.js';
import { createMessageRouter, type MessageRouterOptions } from './routing/index.js';
import { fullTopicName, partitionTopicName } from './topic-name.js';

export type PartitionedProducerOptions = ProducerOptions &
  Pick<MessageRouterOptions, 'routingMode' | 'hashingScheme'>;

/**
 * A producer on a partitioned topic: one producer per partition (created eagerly, as the
 * Java client does by default), each message routed by the Java client's rules (key hash,
 * else round robin), so keys land on the same partitions whichever client sent them.
 */
export class PartitionedProducer {
  private closed = false;

  private constructor(
    private readonly topic: string,
    readonly partitions: Producer[],
    private readonly choose: (key: string | undefined, n: number) => number,
  ) {}

  static async create(
    client: PulsarClient,
    options: PartitionedProducerOptions,
    numPartitions: number,
  ): Promise<PartitionedProducer> {
    const topic = fullTopicName(options.topic);
    const router = createMessageRouter({
      routingMode: options.routingMode,
      hashingScheme: options.hashingScheme,
      batchingEnabled: options.batchingEnabled,
      batchingMaxPublishDelayMs: options.batchingMaxPublishDelayMs,
    });
    const producers: Producer[] = [];
    try {
      for (let i = 0; i < numPartitions; i++) {
        producers.push(
          await client.createPartitionProducer(
            {
              ...options,
              topic: partitionTopicName(topic, i),
              // Partition producers share the name with a suffix, as the Java client does.
              producerName: options.producerName && `${options.producerName}-${i}`,
            },
            i,
          ),
        );
      }
    } catch (err) {
      await Promise.allSettled(producers.map((p) => p.close()));
      throw err;
    }
    return new PartitionedProducer(topic, producers, (k, n) => router.choosePartition(k, n));
  }

  getTopic(): string {
    return this.topic;
  }

  getProducerName(): string {
    return this.partitions[0]?.getProducerName().replace(/-0$/, '') ?? '';
  }

  isConnected(): boolean {
    return !this.closed && this.partitions.every((p) => p.isConnected());
  }

  /** The partition a message with this key goes to (undefined key: the round-robin choice). */
  partitionFor(key: string | undefined): number {
    return this.choose(key, this.partitions.length);
  }

  send(message: ProducerMessage): Promise<MessageId> {
    if (this.closed)
      return Promise.reject(new PulsarClientError('AlreadyClosed', 'producer is closed'));
    return this.partitions[this.partitionFor(message.partitionKey)].send(message);
  }

  async flush(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.partitions.map((p) => p.close()));
  }
}
