import { EventEmitter } from 'node:events';
import type { PulsarClient } from './client.js';
import { PulsarClientError } from './errors.js';
import type { MessageId } from './message-id.js';
import type { ProducerMessage, ProducerOptions } from './options.js';
import type { Producer } from './producer.js';
import { createMessageRouter, type MessageRouterOptions } from './routing/index.js';
import { fullTopicName, partitionIndexOf, partitionTopicName } from './topic-name.js';

export type PartitionedProducerOptions = ProducerOptions &
  Pick<MessageRouterOptions, 'routingMode' | 'hashingScheme'> & {
    /**
     * How often the partition count is read again, so partitions an operator adds get
     * messages too (the Java client's autoUpdatePartitionsInterval). 0 turns it off.
     * Default 60000.
     */
    autoUpdatePartitionsIntervalMs?: number;
  };

const DEFAULT_PARTITIONS_UPDATE_MS = 60_000;

/**
 * A producer for `options.topic` whatever its kind: one per partition (routed as the Java
 * client routes) for a partitioned topic, a plain producer otherwise.
 */
export async function createTopicProducer(
  client: PulsarClient,
  options: PartitionedProducerOptions,
): Promise<Producer | PartitionedProducer> {
  const partitions = await client.getPartitionCount(options.topic);
  return partitions > 0
    ? PartitionedProducer.create(client, options, partitions)
    : // Known to be non-partitioned (or one partition named directly): no second metadata
      // lookup, as createProducer makes.
      client.createPartitionProducer(options, partitionIndexOf(fullTopicName(options.topic)));
}

/**
 * A producer on a partitioned topic: one producer per partition (created eagerly, as the
 * Java client does by default), each message routed by the Java client's rules (key hash,
 * else round robin), so keys land on the same partitions whichever client sent them.
 *
 * When the broker refuses a partition's producer for good (the topic was deleted with
 * auto-creation off, or terminated), the whole producer closes with that error (`failure`),
 * as a partitioned topic is deleted or terminated as a whole: every send rejects with it,
 * whichever partition its key routes to, and 'closed' (error) is emitted, so its owner can
 * make a new producer once the topic is back rather than keep one that fails some keys.
 * 'closed' is emitted with no argument after close().
 */
export class PartitionedProducer extends EventEmitter {
  private closed = false;
  private refusal: PulsarClientError | undefined;
  private readonly updater: NodeJS.Timeout | undefined;
  private updating = false;

  private constructor(
    private readonly topic: string,
    readonly partitions: Producer[],
    private readonly choose: (key: string | undefined, n: number) => number,
    private readonly client: PulsarClient,
    private readonly options: PartitionedProducerOptions,
  ) {
    super();
    for (const p of partitions) this.follow(p);
    const every = options.autoUpdatePartitionsIntervalMs ?? DEFAULT_PARTITIONS_UPDATE_MS;
    if (every > 0) {
      this.updater = setInterval(() => void this.updatePartitions(), every);
      // Following partitions is no reason to keep a process alive.
      this.updater.unref();
    }
  }

  /**
   * Creates producers for partitions added since the last look; keys then route over the
   * new count, as with the Java client. A failure waits for the next look.
   */
  async updatePartitions(): Promise<void> {
    if (this.updating || this.closed) return;
    this.updating = true;
    try {
      const now = await this.client.getPartitionCount(this.topic);
      for (let i = this.partitions.length; i < now && !this.closed; i++) {
        const producer = await PartitionedProducer.partitionProducer(
          this.client,
          this.options,
          i,
          this.getProducerName(),
        );
        if (this.closed) {
          await producer.close().catch(() => undefined);
          return;
        }
        this.partitions.push(producer);
        this.follow(producer);
      }
    } catch (err) {
      // The broker may still be creating the partition; the next look tries again.
      this.client.warn(`could not follow the partitions of ${this.topic}`, err);
    } finally {
      this.updating = false;
    }
  }

  /**
   * The producer of one partition. Every partition's producer has the same name, as with the
   * Java client: the one given, else the name the broker chose for partition 0's (`name`), so
   * messages carry one producer name and a Java producer of that name shares the broker's
   * deduplication state (kept per partition and name).
   */
  private static partitionProducer(
    client: PulsarClient,
    options: PartitionedProducerOptions,
    partition: number,
    name = options.producerName,
  ): Promise<Producer> {
    return client.createPartitionProducer(
      {
        ...options,
        topic: partitionTopicName(fullTopicName(options.topic), partition),
        producerName: name,
      },
      partition,
    );
  }

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
        const name = producers[0]?.getProducerName() ?? options.producerName;
        producers.push(await PartitionedProducer.partitionProducer(client, options, i, name));
      }
    } catch (err) {
      await Promise.allSettled(producers.map((p) => p.close()));
      throw err;
    }
    return new PartitionedProducer(
      topic,
      producers,
      (k, n) => router.choosePartition(k, n),
      client,
      options,
    );
  }

  /** Watches a partition's producer for a refusal for good (see the class comment). */
  private follow(partition: Producer): void {
    partition.on('closed', (err?: PulsarClientError) => {
      if (err) this.refused(err);
    });
    // Refused already, between its creation and now.
    const failure = partition.failure;
    if (failure) this.refused(failure);
  }

  private refused(err: PulsarClientError): void {
    if (this.closed) return;
    this.refusal = err;
    this.closed = true;
    clearInterval(this.updater);
    // The other partitions close too (a connected one waits for its pending receipts).
    void Promise.allSettled(this.partitions.map((p) => p.close()));
    this.emit('closed', err);
  }

  /** Why the broker refused this producer for good; undefined unless it closed for that. */
  get failure(): PulsarClientError | undefined {
    return this.refusal;
  }

  getTopic(): string {
    return this.topic;
  }

  getProducerName(): string {
    return this.partitions[0]?.getProducerName() ?? '';
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
      return Promise.reject(
        this.refusal ?? new PulsarClientError('AlreadyClosed', 'producer is closed'),
      );
    return this.partitions[this.partitionFor(message.partitionKey)].send(message);
  }

  async flush(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.updater);
    await Promise.all(this.partitions.map((p) => p.close()));
    this.emit('closed');
  }
}
