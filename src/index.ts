/**
 * The package entry point (`import ... from 'magnetar'`): what a library user builds with.
 *
 * - Consumers: defineConsumer and ConsumerRunner, the errors a handler throws to steer retries
 *   (RetryLaterError, NonRetryableError, MalformedEventError), the middleware, dedupe stores,
 *   the dead-letter sink and admin, and SqliteDeliveryJournal (the crash guard's notes).
 * - Publishing: Publisher, ProducerPool, the event encoding and its properties.
 * - Metrics: createMessagingMetrics, the Prometheus (prom-client) sink of the publisher's and
 *   the consumers' metrics, on a registry of the caller's.
 * - Brokers: createBroker (the configured mode), createEmbeddedBroker, createPulsarBroker, the
 *   Broker contract's types and BrokerError.
 * - The Pulsar client, also usable on its own: PulsarClient, PulsarAdmin and their errors by
 *   name, everything else under the `pulsar` namespace (its Message, Producer, backoffDelay...
 *   would clash with the broker's and the consumer runtime's names).
 *
 * The HTTP service itself is run by the `magnetar` CLI (`magnetar start`).
 */
export * from './messaging/index.js';
export type { ConsumerHandler } from './messaging/handler.js';
export { SqliteDeliveryJournal } from './app/pipeline/sqlite-delivery-journal.js';
export { createMessagingMetrics } from './observability/metrics.js';
export * from './broker/index.js';
export { createBroker, type BrokerSettings } from './broker/create-broker.js';
export {
  PulsarBroker,
  createPulsarBroker,
  type PulsarBrokerOptions,
} from './broker/pulsar/index.js';
export {
  PulsarClient,
  PulsarClientError,
  PulsarAdmin,
  PulsarAdminError,
  AuthenticationToken,
} from './pulsar/index.js';
export * as pulsar from './pulsar/index.js';
