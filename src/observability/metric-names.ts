/**
 * Every metric name Magnetar exports, in one place so dashboards and alerts have one list
 * to read. Add new names here (messaging, scheduler, ...) next to their helpers.
 */
export const METRIC_NAMES = {
  httpRequestsTotal: 'magnetar_http_requests_total',
  httpRequestDuration: 'magnetar_http_request_duration_seconds',
  messagesSent: 'messaging_messages_sent_total',
  publishFailures: 'messaging_publish_failures_total',
  publishDuration: 'messaging_publish_duration_seconds',
  publishInFlight: 'messaging_publish_in_flight',
  latency: 'messaging_latency_seconds',
  messagesConsumed: 'messaging_messages_consumed_total',
  messagesAcked: 'messaging_messages_acked_total',
  messagesRetried: 'messaging_messages_retried_total',
  messagesDeadLettered: 'messaging_messages_dead_lettered_total',
  messagesNacked: 'messaging_messages_nacked_total',
  messagesSkipped: 'messaging_messages_skipped_total',
  handlerDuration: 'messaging_handler_duration_seconds',
  consumerInFlight: 'messaging_consumer_in_flight',
} as const;
