import type { CompressionType } from './compression/index.js';
import { PulsarClientError } from './errors.js';
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
  /**
   * Told of a background task that failed and waits for its next turn, such as a lookup of a
   * partitioned topic's partitions (where the Java client logs a warning). Default: nothing.
   */
  onWarning?: (message: string, cause: unknown) => void;
}

export const CLIENT_DEFAULTS = {
  operationTimeoutMs: 30_000,
  connectionTimeoutMs: 10_000,
  keepAliveIntervalMs: 30_000,
  useTls: false,
  initialBackoffIntervalMs: 100,
  maxBackoffIntervalMs: 60_000,
  onWarning: () => undefined,
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
  /**
   * How messages are grouped into batches (the official Node client's names):
   * - 'DefaultBatching': one batch at a time, in send order, so every subscription reads the
   *   messages in the order they were sent, whatever their keys. The batch carries no key of
   *   its own, so a Key_Shared subscription hands a whole batch, all its keys, to one consumer.
   * - 'KeyBasedBatching': one batch per key (ordering key, else partition key), each stamped
   *   with its key, so Key_Shared dispatches each key to its own consumer. Order is kept per
   *   key only: batches leave in the order of their first message, so messages of different
   *   keys sent in one batching window are read grouped by key. Recommended for Key_Shared.
   * Default 'DefaultBatching'.
   */
  batchingType?: BatchingType;
  /**
   * Compression of each entry: 'NONE', 'LZ4', 'ZLIB' or 'SNAPPY', any case (so the official
   * Node client's 'Zlib' works). 'ZSTD' is refused: this client decodes it but cannot encode
   * it. Default 'NONE'.
   */
  compressionType?: CompressionType | Lowercase<CompressionType> | 'Zlib' | 'Snappy' | 'None';
}

export type BatchingType = 'DefaultBatching' | 'KeyBasedBatching';

export const PRODUCER_DEFAULTS = {
  sendTimeoutMs: 30_000,
  maxPendingMessages: 1000,
  batchingEnabled: true,
  batchingMaxMessages: 1000,
  batchingMaxPublishDelayMs: 10,
  batchingMaxBytes: 128 * 1024,
  batchingType: 'DefaultBatching',
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
  /**
   * Acks resolve once the broker confirmed them (Java's ackReceiptEnabled), and reject when it
   * refused them or could not be told: while the consumer is disconnected an ack rejects with
   * the retriable NotConnected, and the broker redelivers the message. Default false.
   */
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

/**
 * `defaults` overridden by the options that are set (undefined means "use the default").
 * Producer and consumer options are checked and normalised on the way,
 * so a bad value fails createProducer/subscribe with InvalidConfiguration instead of every
 * later send or the SUBSCRIBE encoding.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const set = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved = { ...defaults, ...set } as D & O;
  if ((defaults as object) === PRODUCER_DEFAULTS)
    checkProducerOptions(resolved as Record<string, unknown>);
  if ((defaults as object) === CONSUMER_DEFAULTS)
    checkConsumerOptions(resolved as Record<string, unknown>);
  return resolved;
}

/** Codecs this client can encode, by the upper-case name Pulsar's metadata uses. */
const ENCODABLE: readonly CompressionType[] = ['NONE', 'LZ4', 'ZLIB', 'SNAPPY'];
const BATCHING_TYPES: readonly BatchingType[] = ['DefaultBatching', 'KeyBasedBatching'];
const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'Exclusive',
  'Shared',
  'Failover',
  'KeyShared',
];
const INITIAL_POSITIONS: readonly InitialPosition[] = ['Latest', 'Earliest'];

function invalid(option: string, value: unknown, accepted: string): PulsarClientError {
  // NaN and Infinity as themselves (JSON would say null), strings quoted.
  const shown =
    typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return new PulsarClientError(
    'InvalidConfiguration',
    `${option} ${shown} is not valid: expected ${accepted}`,
  );
}

function checkOneOf(o: Record<string, unknown>, option: string, accepted: readonly string[]): void {
  if (!accepted.includes(o[option] as string)) {
    throw invalid(option, o[option], `one of ${accepted.map((a) => `'${a}'`).join(', ')}`);
  }
}

/** Longest delay a Node timer takes; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration in ms, from `min` up to what a timer takes. */
function checkNumber(o: Record<string, unknown>, option: string, min: number): void {
  const v = o[option];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > MAX_TIMER_MS) {
    throw invalid(option, v, `a number of ms >= ${min} and <= ${MAX_TIMER_MS}`);
  }
}

/** A count: a whole number >= `min`. */
function checkCount(o: Record<string, unknown>, option: string, min: number): void {
  const v = o[option];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw invalid(option, v, `a whole number >= ${min}`);
  }
}

/**
 * Throws InvalidConfiguration, naming the option, for a bad client option (`o` with the
 * defaults applied), so `new PulsarClient(...)` fails instead of a later request.
 */
export function checkClientOptions(o: Record<string, unknown>): void {
  checkNumber(o, 'operationTimeoutMs', 1);
  checkNumber(o, 'connectionTimeoutMs', 1);
  checkNumber(o, 'keepAliveIntervalMs', 0);
  checkNumber(o, 'initialBackoffIntervalMs', 1);
  checkNumber(o, 'maxBackoffIntervalMs', 1);
  if ((o.maxBackoffIntervalMs as number) < (o.initialBackoffIntervalMs as number)) {
    throw invalid(
      'maxBackoffIntervalMs',
      o.maxBackoffIntervalMs,
      `at least initialBackoffIntervalMs (${o.initialBackoffIntervalMs as number})`,
    );
  }
  checkBoolean(o, 'useTls');
  if (typeof o.onWarning !== 'function') throw invalid('onWarning', o.onWarning, 'a function');
  if (typeof o.transport !== 'function') throw invalid('transport', o.transport, 'a function');
}

function checkBoolean(o: Record<string, unknown>, option: string): void {
  if (typeof o[option] !== 'boolean') throw invalid(option, o[option], 'true or false');
}

/** Throws InvalidConfiguration for a bad producer option; upper-cases compressionType. */
function checkProducerOptions(o: Record<string, unknown>): void {
  const c = o.compressionType;
  const codec = typeof c === 'string' ? c.toUpperCase() : c;
  if (codec === 'ZSTD') {
    throw invalid(
      'compressionType',
      c,
      `one of ${ENCODABLE.join(', ')} (ZSTD is decoded, never encoded, by this client)`,
    );
  }
  if (!ENCODABLE.includes(codec as CompressionType)) {
    throw invalid('compressionType', c, `one of ${ENCODABLE.join(', ')} (any case)`);
  }
  o.compressionType = codec;
  const name = o.producerName;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
    // As the Java client: "producerName cannot be blank".
    throw invalid('producerName', name, 'a non-blank string (or none: the broker picks one)');
  }
  checkOneOf(o, 'batchingType', BATCHING_TYPES);
  checkBoolean(o, 'batchingEnabled');
  checkNumber(o, 'sendTimeoutMs', 0);
  checkCount(o, 'maxPendingMessages', 1);
  checkCount(o, 'batchingMaxMessages', 1);
  checkNumber(o, 'batchingMaxPublishDelayMs', 0);
  checkCount(o, 'batchingMaxBytes', 1);
}

/** Throws InvalidConfiguration for a bad consumer option. */
function checkConsumerOptions(o: Record<string, unknown>): void {
  checkOneOf(o, 'subscriptionType', SUBSCRIPTION_TYPES);
  checkOneOf(o, 'subscriptionInitialPosition', INITIAL_POSITIONS);
  checkCount(o, 'receiverQueueSize', 0);
  checkNumber(o, 'ackTimeoutMs', 0);
  checkNumber(o, 'nAckRedeliverTimeoutMs', 0);
  checkCount(o, 'priorityLevel', 0);
  checkBoolean(o, 'ackReceiptEnabled');
}
