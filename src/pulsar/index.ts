/**
 * Magnetar's pure-TypeScript client for Apache Pulsar's binary protocol.
 * Everything public is exported here by name; the rest is internal.
 */
export { PulsarClient } from './client.js';
export { Producer } from './producer.js';
export { Consumer } from './consumer.js';
export { Message } from './message.js';
export { MessageId } from './message-id.js';
export { PulsarClientError, serverError } from './errors.js';
export type { PulsarResult, ServerResult, ClientResult } from './errors.js';
export { CLIENT_DEFAULTS, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS } from './options.js';
export type {
  ClientOptions,
  ProducerOptions,
  ProducerMessage,
  BatchingType,
  ConsumerOptions,
  ConsumerListener,
  ConsumerApi,
  SubscriptionType,
  InitialPosition,
} from './options.js';
export type { Authentication } from './connection.js';
export type { TransportFactory, TransportTarget } from './transport.js';
export { tcpTransport, parseServiceUrl } from './transport.js';
export { fullTopicName, partitionTopicName } from './topic-name.js';
export { AuthenticationToken, type TokenSource } from './auth-token.js';
export { tlsTransport, type TlsOptions } from './tls-transport.js';
export {
  PartitionedProducer,
  createTopicProducer,
  type PartitionedProducerOptions,
} from './partitioned-producer.js';
export { PartitionedConsumer, type PartitionedConsumerOptions } from './partitioned-consumer.js';
export { backoffDelay, Backoff, type BackoffOptions } from './reconnect-backoff.js';
export {
  codecFor,
  CompressionError,
  type CompressionCodec,
  type CompressionType,
} from './compression/index.js';
export {
  createMessageRouter,
  javaStringHash,
  murmur3Hash,
  type HashingScheme,
  type MessageRouter,
  type MessageRoutingMode,
} from './routing/index.js';
export { PulsarAdmin, PulsarAdminError, type AdminClientOptions } from './admin/index.js';
