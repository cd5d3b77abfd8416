/** Public API of the messaging layer. */
export {
  MessagingError,
  PublishRejectedError,
  NonRetryableError,
  RetryLaterError,
  HandlerTimeoutError,
  HandlerPanicError,
  MalformedEventError,
  SettleFailedError,
  CrashLoopError,
  type MessagingErrorCode,
} from './errors.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { EVENT_PROPERTIES, encodeEvent, decodeEvent, type DomainEvent } from './event.js';
export { FAILURE_PROPERTIES, DELIVERY_PROPERTIES } from './properties.js';
export { payloadText, type PayloadEncoding, type PayloadText } from './payload-text.js';
export {
  noopMetrics,
  type MessagingMetrics,
  type MessageOutcome,
  type PublishOutcome,
} from './metrics.js';
export { ProducerPool, type ProducerDefaults } from './producer-pool.js';
export {
  instrumentedSend,
  type MessageSink,
  type SendInstrumentation,
} from './instrumented-send.js';
export {
  Publisher,
  type PublisherOptions,
  type PublishOptions,
  type OutgoingMessage,
} from './publisher.js';
export {
  compose,
  silentLogger,
  type Handler,
  type Middleware,
  type MessageContext,
  type HandlerLogger,
} from './handler.js';
export { MemoryDedupeStore, type DedupeStore } from './dedupe-store.js';
export {
  defineConsumer,
  type ConsumerDefinition,
  type ConsumerDefinitionInput,
} from './consumer-definition.js';
export {
  ConsumerRunner,
  type ConsumerState,
  type ConsumerStatus,
  type RunnerDeps,
} from './consumer-runner.js';
export { recover } from './middleware/recover.js';
export { timeout } from './middleware/timeout.js';
export { retry, type RetryOptions } from './middleware/retry.js';
export {
  deadLetter,
  type DeadLetterSink,
  type DeadLetterOptions,
} from './middleware/dead-letter.js';
export { dedupe, type DedupeOptions } from './middleware/dedupe.js';
export { crashGuard, type CrashGuardOptions } from './middleware/crash-guard.js';
export type { DeliveryJournal, DeliveryRef, RunHistory } from './delivery-journal.js';
export { metrics as metricsMiddleware } from './middleware/metrics.js';
export { tracing, parentContext } from './middleware/tracing.js';
export {
  DeadLetterAdmin,
  InvalidCursorError,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterFilter,
  type ListOptions as DeadLetterListOptions,
  type ReplaySink,
} from './dead-letter-admin.js';
export { DEAD_LETTER_RETENTION_SUBSCRIPTION, retainingDeadLetterSink } from './dead-letter-sink.js';
