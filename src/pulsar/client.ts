import { BaseCommand_Type as T } from './commands.js';
import { ConnectionPool } from './connection-pool.js';
import { Consumer } from './consumer.js';
import { assertStillOpen, isTimeout, PulsarClientError } from './errors.js';
import { LookupService } from './lookup.js';
import {
  checkClientOptions,
  CLIENT_DEFAULTS,
  CONSUMER_DEFAULTS,
  PRODUCER_DEFAULTS,
  withDefaults,
  type ClientOptions,
  type ConsumerOptions,
  type ProducerOptions,
} from './options.js';
import { Producer } from './producer.js';
import { keepConnected } from './reconnect.js';
import { tlsTransport } from './tls-transport.js';
import { fullTopicName, partitionIndexOf } from './topic-name.js';
import { parseServiceUrl, tcpTransport } from './transport.js';

/**
 * Entry point of the client: `new PulsarClient({ serviceUrl })`, then `createProducer`,
 * `subscribe`, and `close` (which closes every producer and consumer it made).
 */
export class PulsarClient {
  readonly options: Required<Omit<ClientOptions, 'authentication'>> &
    Pick<ClientOptions, 'authentication'>;
  readonly pool: ConnectionPool;
  readonly lookup: LookupService;
  private nextProducerId = 0n;
  private nextConsumerId = 0n;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private closed = false;

  constructor(options: ClientOptions) {
    if (!options?.serviceUrl)
      throw new PulsarClientError('InvalidConfiguration', 'serviceUrl is required');
    const serviceUrl = parseServiceUrl(options.serviceUrl).url;
    // pulsar+ssl:// means TLS everywhere, with Node's trusted CAs unless a transport is given.
    const tls = serviceUrl.startsWith('pulsar+ssl://');
    this.options = withDefaults(
      { ...CLIENT_DEFAULTS, transport: tls ? tlsTransport() : tcpTransport, useTls: tls },
      { ...options, serviceUrl },
    ) as PulsarClient['options'];
    checkClientOptions(this.options);
    this.pool = new ConnectionPool({
      transport: this.options.transport,
      connectionTimeoutMs: this.options.connectionTimeoutMs,
      operationTimeoutMs: this.options.operationTimeoutMs,
      keepAliveIntervalMs: this.options.keepAliveIntervalMs,
      authentication: this.options.authentication,
    });
    this.lookup = new LookupService(this.pool, serviceUrl, this.options.useTls);
  }

  /**
   * Creates a producer on a non-partitioned topic (or on one partition, by its full name). A
   * partitioned topic is refused: it has a non-partitioned namesake that the broker would
   * create and fill unseen by the partitions' consumers. Use PartitionedProducer for it. On
   * a namespace that auto-creates topics as partitioned, a new topic is created partitioned
   * by the check, and refused.
   */
  async createProducer(options: ProducerOptions): Promise<Producer> {
    await this.refusePartitioned(options?.topic, 'PartitionedProducer.create()');
    // One partition named directly stamps its index on the ids, as the Java client does.
    return this.createPartitionProducer(options, partitionIndexOf(options.topic));
  }

  /**
   * Subscribes to a non-partitioned topic (or to one partition, by its full name). A
   * partitioned topic is refused, as by createProducer; use PartitionedConsumer for it.
   */
  async subscribe(options: ConsumerOptions): Promise<Consumer> {
    await this.refusePartitioned(options?.topic, 'PartitionedConsumer.subscribe()');
    return this.subscribePartition(options, partitionIndexOf(options.topic));
  }

  /** Throws when `topic` is a partitioned topic (and not one of its partitions). */
  private async refusePartitioned(topic: string | undefined, instead: string): Promise<void> {
    this.assertOpen();
    if (!topic) throw new PulsarClientError('InvalidConfiguration', 'topic is required');
    const full = fullTopicName(topic);
    if (partitionIndexOf(full) >= 0) return;
    // On a namespace that auto-creates topics as partitioned, this look-up itself creates a
    // new topic as a partitioned one, as it does for the Java client (whose createProducer
    // and subscribe then go on as partitioned).
    const partitions = await this.lookup.partitions(full);
    if (partitions > 0)
      throw new PulsarClientError(
        'InvalidConfiguration',
        `${full} is a partitioned topic (${partitions} partitions): use ${instead}. ` +
          'If it did not exist before, its namespace auto-creates topics as partitioned ' +
          '(allowAutoTopicCreationType=partitioned) and looking it up created it so',
      );
  }

  /**
   * Creates a producer on exactly `options.topic`, stamping `partition` on its message ids.
   * The building block of partitioned producers.
   */
  async createPartitionProducer(options: ProducerOptions, partition: number): Promise<Producer> {
    this.assertOpen();
    if (!options?.topic) throw new PulsarClientError('InvalidConfiguration', 'topic is required');
    // Checked before the broker hears of the producer (and auto-creates its topic).
    withDefaults(PRODUCER_DEFAULTS, options);
    const topic = fullTopicName(options.topic);
    const connection = await this.connectionFor(topic);
    const producerId = this.nextProducerId++;
    const requestId = connection.newRequestId();
    const res = await connection
      .request(
        {
          type: T.PRODUCER,
          producer: {
            topic,
            producerId,
            requestId,
            producerName: options.producerName,
            userProvidedProducerName: options.producerName !== undefined,
            metadata: Object.entries(options.properties ?? {}).map(([key, value]) => ({
              key,
              value,
            })),
          },
        },
        requestId,
      )
      .catch((err: unknown) => {
        // The broker may still create it after our timeout: close it there.
        if (isTimeout(err)) connection.release('producer', producerId);
        throw err;
      });
    assertStillOpen(connection, topic);
    const ok = res.producerSuccess!;
    const producer = new Producer(
      { connection, producerId, topic, partition },
      options,
      ok.producerName,
      ok.lastSequenceId,
    );
    this.track(this.producers, producer);
    this.keepConnected(producer);
    return producer;
  }

  /** Subscribes to exactly `options.topic`, stamping `partition` on message ids. */
  async subscribePartition(options: ConsumerOptions, partition: number): Promise<Consumer> {
    this.assertOpen();
    if (!options?.topic) throw new PulsarClientError('InvalidConfiguration', 'topic is required');
    if (!options.subscription)
      throw new PulsarClientError('InvalidConfiguration', 'subscription is required');
    // Checked before the broker hears of the consumer (and auto-creates its topic).
    withDefaults(CONSUMER_DEFAULTS, options);
    const topic = fullTopicName(options.topic);
    const connection = await this.connectionFor(topic);
    const consumerId = this.nextConsumerId++;
    const consumer = await Consumer.subscribe(
      { connection, consumerId, topic, partition },
      options,
    );
    this.track(this.consumers, consumer);
    this.keepConnected(consumer);
    return consumer;
  }

  /** Passes a warning to the onWarning option; a callback that throws is not our failure. */
  warn(message: string, cause: unknown): void {
    try {
      this.options.onWarning(message, cause);
    } catch {
      // The warning is lost; the background task goes on.
    }
  }

  /** Partitions of a topic, 0 when it is not partitioned. */
  getPartitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return this.lookup.partitions(fullTopicName(topic));
  }

  /**
   * Since when (epoch ms) a broker this client talks to has not answered, after a request
   * or send to it timed out; undefined while all answer.
   */
  unansweredSince(): number | undefined {
    return this.closed ? undefined : this.pool.unansweredSince();
  }

  /** Closes every producer and consumer, then the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    await this.pool.close();
  }

  private async connectionFor(topic: string) {
    const addr = await this.lookup.lookup(topic);
    return this.pool.get(addr.logicalUrl, addr.physicalUrl);
  }

  /** Reconnects `x` with backoff whenever its connection drops or the broker closes it. */
  private keepConnected(x: Producer | Consumer): void {
    keepConnected(x, {
      initialMs: this.options.initialBackoffIntervalMs,
      maxMs: this.options.maxBackoffIntervalMs,
      connect: (topic) => {
        if (this.closed) throw new PulsarClientError('AlreadyClosed', 'client is closed');
        return this.connectionFor(topic);
      },
    });
  }

  private track<X extends Producer | Consumer>(set: Set<X>, x: X): void {
    set.add(x);
    x.once('closed', () => set.delete(x));
  }

  private assertOpen(): void {
    if (this.closed) throw new PulsarClientError('AlreadyClosed', 'client is closed');
  }
}
