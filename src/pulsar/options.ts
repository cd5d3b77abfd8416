import type { CompressionType } from './compression/index.js';
import type { Authentication } from './connection.js';
import type { Message } from './message.js';
import type { TransportFactory } from './transport.js';

/** Options of `new PulsarClient(...)`. */
export interface ClientOptions {
  /** `pulsar://host:port` of a broker or proxy. Required. */
  serviceUrl: string;
  /** Timeout of lookups, producer/consumer creation and other requests. Default 30000. */
  operationTimeoutMs?: number;
  /** Timeout of opening a connection and its CONNECT handshake. Default 10000. */
  connectionTimeoutMs?: number;
  /** PING interval; a connection silent for twice this long is closed. Default 30000; 0 = off. */
  keepAliveIntervalMs?: number;
  /** Credentials sent on CONNECT (e.g. a token provider). Default none. */
  authentication?: Authentication;
  /** Opens broker sockets. Default plain TCP; a TLS transport plugs in here. */
  transport?: TransportFactory;
  /** Use the brokers' TLS URLs from lookups. Default false. */
  useTls?: boolean;
  /** First delay before reconnecting a producer or consumer. Default 100. */
  initialBackoffIntervalMs?: number;
  /** Longest delay between reconnection attempts. Default 60000 (as the Java client). */
  maxBackoffIntervalMs?: number;
}

export const CLIENT_DEFAULTS = {
  operationTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  keepAliveIntervalMs: 30_000,
  useTls: false,
  initialBackoffIntervalMs: 100,
  maxBackoffIntervalMs: 60_000,
} as const;

/** Options of `client.createProducer(...)`; names follow the official Pulsar Node client. */
export interface ProducerOptions {
  topic: string;
  /** Name the broker shows and stamps on messages. Default: chosen by the broker. */
  producerName?: string;
  /** Reject a send that got no receipt within this time. Default 30000; 0 = never. */
  sendTimeoutMs?: number;
  /** Messages queued or in flight before `send` rejects with ProducerQueueIsFull. Default 1000. */
  maxPendingMessages?: number;
  /** Group messages into batches. Default true. */
  batchingEnabled?: boolean;
  /** Most messages in one batch. Default 1000. */
  batchingMaxMessages?: number;
  /** Longest a message waits for its batch to fill. Default 10. */
  batchingMaxPublishDelayMs?: number;
  /** Most payload bytes in one batch. Default 131072 (128 KiB). */
  batchingMaxBytes?: number;
  /** Metadata shown in topic stats. Default none. */
  properties?: Record<string, string>;
  /** Compression of each entry: 'NONE', 'LZ4', 'ZLIB' or 'SNAPPY' ('ZSTD' decodes only). Default 'NONE'. */
  compressionType?: CompressionType;
}

export const PRODUCER_DEFAULTS = {
  sendTimeoutMs: 30_000,
  maxPendingMessages: 1000,
  batchingEnabled: true,
  batchingMaxMessages: 1000,
  batchingMaxPublishDelayMs: 10,
  batchingMaxBytes: 128 * 1024,
  compressionType: 'NONE',
} as const;

/** One message to send. */
export interface ProducerMessage {
  data: Buffer;
  properties?: Record<string, string>;
  /** Routes to a partition and, unless orderingKey is set, keys Key_Shared dispatch. */
  partitionKey?: string;
  /** Overrides partitionKey for Key_Shared dispatch. */
  orderingKey?: string;
  /** Event time, epoch ms. */
  eventTimestamp?: number;
  /** Deliver no earlier than this epoch ms (Shared and Key_Shared subscriptions). */
  deliverAt?: number;
  /** Deliver no earlier than now + this many ms. */
  deliverAfter?: number;
  /** Explicit sequence id (for broker-side deduplication). Default: the producer's next. */
  sequenceId?: number | bigint;
}

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'KeyShared';
export type InitialPosition = 'Latest' | 'Earliest';

export type ConsumerListener = (message: Message, consumer: ConsumerApi) => void | Promise<void>;

/** The consumer methods a listener may call (kept here so the contract needs no class). */
export interface ConsumerApi {
  acknowledge(message: Message): Promise<void>;
  acknowledgeCumulative(message: Message): Promise<void>;
  negativeAcknowledge(message: Message): void;
}

/** Options of `client.subscribe(...)`; names follow the official Pulsar Node client. */
export interface ConsumerOptions {
  topic: string;
  subscription: string;
  /** Default 'Exclusive'. */
  subscriptionType?: SubscriptionType;
  /** Where a new subscription starts. Default 'Latest'. */
  subscriptionInitialPosition?: InitialPosition;
  /** Default: chosen by the client. */
  consumerName?: string;
  /** Messages prefetched; FLOW permits are refilled at half of it. Default 1000. */
  receiverQueueSize?: number;
  /** Redeliver a message not acked within this time. Default 0 (off). */
  ackTimeoutMs?: number;
  /** Delay before a negatively acked message is redelivered. Default 60000. */
  nAckRedeliverTimeoutMs?: number;
  /** Acks resolve once the broker confirmed them (Java's ackReceiptEnabled). Default false. */
  ackReceiptEnabled?: boolean;
  /** Failover: lower value wins the active role. Default 0. */
  priorityLevel?: number;
  /** Called with each message instead of queuing it for `receive`; one at a time. */
  listener?: ConsumerListener;
  /** Metadata shown in topic stats. Default none. */
  properties?: Record<string, string>;
}

export const CONSUMER_DEFAULTS = {
  subscriptionType: 'Exclusive',
  subscriptionInitialPosition: 'Latest',
  receiverQueueSize: 1000,
  ackTimeoutMs: 0,
  ackReceiptEnabled: false,
  nAckRedeliverTimeoutMs: 60_000,
  priorityLevel: 0,
} as const;

/** `defaults` overridden by the options that are set (undefined means "use the default"). */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...defaults, ...set } as D & O;
}
