import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MessageOutcome, MessagingMetrics } from '../messaging/metrics.js';

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

/** Metric name prefix for prom-client's default process and runtime metrics. */
export const DEFAULT_METRICS_PREFIX = 'magnetar_';

/** A fresh registry with the default Node.js metrics. Created once per process, passed in. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
  return registry;
}

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    requests: new Counter({
      name: METRIC_NAMES.httpRequestsTotal,
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: METRIC_NAMES.httpRequestDuration,
      help: 'HTTP request duration in seconds, by method, route pattern and status',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** Publish-to-handler latency buckets: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The event pipeline's metrics (publisher and consumers) on the given registry. */
export function createMessagingMetrics(registry: Registry): MessagingMetrics {
  const registers = [registry];
  const sent = new Counter({
    name: METRIC_NAMES.messagesSent,
    help: 'Messages the broker confirmed as stored, by topic and publishing service',
    labelNames: ['topic', 'service'] as const,
    registers,
  });
  const failures = new Counter({
    name: METRIC_NAMES.publishFailures,
    help: 'Publishes refused up front (rejected) or failed at the broker (error)',
    labelNames: ['topic', 'service', 'outcome'] as const,
    registers,
  });
  const publishDuration = new Histogram({
    name: METRIC_NAMES.publishDuration,
    help: 'Time from publish call to broker receipt, seconds',
    labelNames: ['topic'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const publishInFlight = new Gauge({
    name: METRIC_NAMES.publishInFlight,
    help: 'Publishes waiting for a broker receipt',
    registers,
  });
  const latency = new Histogram({
    name: METRIC_NAMES.latency,
    help: 'Time from publish to handler start of first deliveries (not retries), seconds',
    labelNames: ['topic'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const bySubscription = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['subscription'] as const, registers });
  const consumed = bySubscription(METRIC_NAMES.messagesConsumed, 'Messages handed to a handler');
  const outcomes: Record<MessageOutcome, Counter<'subscription'>> = {
    acked: bySubscription(METRIC_NAMES.messagesAcked, 'Messages handled and acked'),
    retried: bySubscription(METRIC_NAMES.messagesRetried, 'Messages sent to the retry topic'),
    'dead-lettered': bySubscription(
      METRIC_NAMES.messagesDeadLettered,
      'Messages moved to the dead-letter topic',
    ),
    nacked: bySubscription(METRIC_NAMES.messagesNacked, 'Messages given back for redelivery'),
    skipped: bySubscription(METRIC_NAMES.messagesSkipped, 'Duplicate messages acked unhandled'),
  };
  const handlerDuration = new Histogram({
    name: METRIC_NAMES.handlerDuration,
    help: 'Time in the handler chain per message, seconds',
    labelNames: ['subscription', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const consumerInFlight = new Gauge({
    name: METRIC_NAMES.consumerInFlight,
    help: 'Messages in the handler chain (being handled, not yet settled), by subscription',
    labelNames: ['subscription'] as const,
    registers,
  });
  return {
    publishDone(topic, service, outcome, seconds) {
      if (outcome === 'ok') {
        sent.inc({ topic, service });
        publishDuration.observe({ topic }, seconds);
      } else failures.inc({ topic, service, outcome });
    },
    publishInFlight: (delta) => publishInFlight.inc(delta),
    consumed(topic, subscription, latencySeconds) {
      consumed.inc({ subscription });
      if (latencySeconds !== undefined) latency.observe({ topic }, latencySeconds);
    },
    handled(subscription, outcome, seconds) {
      outcomes[outcome].inc({ subscription });
      handlerDuration.observe({ subscription, outcome }, seconds);
    },
    consumerInFlight: (subscription, delta) => consumerInFlight.inc({ subscription }, delta),
  };
}
