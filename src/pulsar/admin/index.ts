export { PulsarAdmin, type AdminClientOptions, type CursorPosition } from './pulsar-admin.js';
export { PulsarAdminError, type AdminErrorCode } from './admin-error.js';
export type {
  AdminInternalStats,
  AdminSubscriptionStats,
  AdminSubscriptionType,
  AdminTopicStats,
} from './stats.js';
export { parseTopic, topicPath, namespacePath, type TopicRef } from './topic-path.js';
