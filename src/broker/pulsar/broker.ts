import { PulsarClient, type ClientOptions } from '../../pulsar/index.js';
import { AuthenticationToken } from '../../pulsar/auth-token.js';
import { PulsarAdmin } from '../../pulsar/admin/index.js';
import { createTopicProducer } from '../../pulsar/partitioned-producer.js';
import { BrokerError } from '../errors.js';
import { fullTopicName } from '../topic-name.js';
import type {
  Broker,
  BrokerAdmin,
  Consumer,
  ConsumerConfig,
  Producer,
  ProducerConfig,
} from '../types.js';
import { PulsarBrokerAdmin } from './admin.js';
import { mapped } from './errors.js';
import { PulsarBrokerConsumer } from './consumer.js';
import { ADAPTER_BATCHING_TYPE, PulsarBrokerProducer } from './producer.js';

export interface PulsarBrokerOptions {
  /** `pulsar://host:6650` or `pulsar+ssl://host:6651`. */
  serviceUrl: string;
  /** `http://host:8080`; default: the service host on port 8080. */
  adminUrl?: string;
  /** JWT for token authentication, sent on CONNECT and to the admin API. */
  token?: string;
  /** Namespace listed by admin.listTopics. Default `public/default`. */
  namespace?: string;
  /** Passed to the client (timeouts, TLS transport, ...). */
  client?: Partial<ClientOptions>;
}

/** Derives the admin URL from the service URL: same host, port 8080 (8443 with TLS). */
export function defaultAdminUrl(serviceUrl: string): string {
  const m = /^pulsar(\+ssl)?:\/\/([^:/,]+)/.exec(serviceUrl);
  const host = m?.[2] ?? '127.0.0.1';
  return m?.[1] ? `https://${host}:8443` : `http://${host}:8080`;
}

/** The Broker contract on a real Apache Pulsar cluster, through Magnetar's own client. */
export class PulsarBroker implements Broker {
  readonly kind = 'pulsar' as const;
  readonly admin: BrokerAdmin;
  private readonly open = new Set<{ close(): Promise<void>; isConnected(): boolean }>();
  private closed = false;
  private connected = false;

  private constructor(
    private readonly client: PulsarClient,
    private readonly rest: PulsarAdmin,
    namespace: string,
  ) {
    this.admin = new PulsarBrokerAdmin(client, rest, namespace);
  }

  /** Connects and checks the cluster answers (a metadata lookup) before resolving. */
  static async connect(options: PulsarBrokerOptions): Promise<PulsarBroker> {
    const client = new PulsarClient({
      operationTimeoutMs: 30_000,
      ...options.client,
      serviceUrl: options.serviceUrl,
      useTls: options.client?.useTls ?? options.serviceUrl.startsWith('pulsar+ssl://'),
      authentication:
        options.client?.authentication ??
        (options.token ? new AuthenticationToken(options.token) : undefined),
    });
    const rest = new PulsarAdmin({
      baseUrl: options.adminUrl ?? defaultAdminUrl(options.serviceUrl),
      token: options.token,
    });
    const broker = new PulsarBroker(client, rest, options.namespace ?? 'public/default');
    try {
      await mapped(() => client.getPartitionCount('persistent://public/default/__magnetar-probe'));
    } catch (err) {
      await client.close();
      throw err;
    }
    broker.connected = true;
    return broker;
  }

  async createProducer(config: ProducerConfig): Promise<Producer> {
    this.assertOpen();
    const topic = fullTopicName(config.topic);
    const options = {
      topic,
      producerName: config.producerName,
      sendTimeoutMs: config.sendTimeoutMs,
      maxPendingMessages: config.maxPendingMessages,
      batchingEnabled: config.batchingEnabled,
      batchingMaxMessages: config.batchingMaxMessages,
      batchingMaxPublishDelayMs: config.batchingMaxPublishDelayMs,
      batchingMaxBytes: config.batchingMaxBytes,
      batchingType: ADAPTER_BATCHING_TYPE,
    };
    const inner = await mapped(() => createTopicProducer(this.client, options));
    // Taken out of the open producers when closed, by its owner or by the broker for good.
    const producer: PulsarBrokerProducer = new PulsarBrokerProducer(inner, () =>
      this.open.delete(producer),
    );
    if (!producer.isClosed()) this.open.add(producer);
    return producer;
  }

  async subscribe(config: ConsumerConfig): Promise<Consumer> {
    this.assertOpen();
    const consumer: PulsarBrokerConsumer = await PulsarBrokerConsumer.subscribe(
      this.client,
      this.rest,
      config,
      () => this.open.delete(consumer),
    );
    this.open.add(consumer);
    return consumer;
  }

  /**
   * False while any producer or consumer is away (broker restarting, topic moving) or a
   * broker stopped answering (a send or request timed out and PINGs get no PONG yet), so
   * readiness turns 503 and publishers refuse at once instead of waiting for timeouts.
   */
  isConnected(): boolean {
    return this.notConnectedReason() === undefined;
  }

  /** Why isConnected() is false, for readiness details; undefined while connected. */
  notConnectedReason(): string | undefined {
    if (this.closed) return 'broker closed';
    if (!this.connected) return 'broker not connected';
    const since = this.client.unansweredSince();
    if (since !== undefined) return `broker not answering since ${new Date(since).toISOString()}`;
    for (const x of this.open) if (!x.isConnected()) return 'broker not connected';
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.open].map((x) => x.close()));
    await this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'broker is closed');
  }
}

export function createPulsarBroker(options: PulsarBrokerOptions): Promise<PulsarBroker> {
  return PulsarBroker.connect(options);
}
