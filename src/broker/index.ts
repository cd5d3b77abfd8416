export type * from './types.js';
export { BrokerError, isBrokerError, type BrokerErrorCode } from './errors.js';
export { BrokerMessageId, parseMessageId } from './message-id.js';
export {
  parseTopicName,
  fullTopicName,
  retryTopicName,
  deadLetterTopicName,
  type TopicName,
} from './topic-name.js';
export { RETRY_PROPERTIES } from './properties.js';
export { MAX_TIMER_DELAY_MS } from './embedded/timer-delay.js';
export {
  createEmbeddedBroker,
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
} from './embedded/index.js';
