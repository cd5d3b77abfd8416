import { Gauge, type Registry } from 'prom-client';
import type { MessageOutcome, MessagingMetrics } from '../messaging/metrics.js';
import { METRIC_NAMES } from './metric-names.js';
import { SeriesCounter, SeriesHistogram } from './series-metrics.js';

/** Publish-to-handler latency buckets: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Memoizes `create` by key: the series of a topic or subscription are looked up once. */
function perKey<V>(create: (key: string) => V): (key: string) => V {
  const made = new Map<string, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) made.set(key, (v = create(key)));
    return v;
  };
}

/**
 * The event pipeline's metrics (publisher and consumers) on the given registry. Every publish
 * and every consumed message records here, so series handles are kept per topic, service and
 * subscription instead of passing label objects to prom-client each time.
 */
export function createMessagingMetrics(registry: Registry): MessagingMetrics {
  const registers = [registry];
  const sent = new SeriesCounter({
    name: METRIC_NAMES.messagesSent,
    help: 'Messages the broker confirmed as stored, by topic and publishing service',
    labelNames: ['topic', 'service'] as const,
    registers,
  });
  const failures = new SeriesCounter({
    name: METRIC_NAMES.publishFailures,
    help: 'Publishes refused up front (rejected) or failed at the broker (error)',
    labelNames: ['topic', 'service', 'outcome'] as const,
    registers,
  });
  const publishDuration = new SeriesHistogram({
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
  const latency = new SeriesHistogram({
    name: METRIC_NAMES.latency,
    help: 'Time from publish to handler start, seconds',
    labelNames: ['topic'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const bySubscription = (name: string, help: string) =>
    new SeriesCounter({ name, help, labelNames: ['subscription'] as const, registers });
  const consumed = bySubscription(METRIC_NAMES.messagesConsumed, 'Messages handed to a handler');
  const outcomes: Record<MessageOutcome, SeriesCounter<'subscription'>> = {
    acked: bySubscription(METRIC_NAMES.messagesAcked, 'Messages handled and acked'),
    retried: bySubscription(METRIC_NAMES.messagesRetried, 'Messages sent to the retry topic'),
    'dead-lettered': bySubscription(
      METRIC_NAMES.messagesDeadLettered,
      'Messages moved to the dead-letter topic',
    ),
    nacked: bySubscription(METRIC_NAMES.messagesNacked, 'Messages given back for redelivery'),
    skipped: bySubscription(METRIC_NAMES.messagesSkipped, 'Duplicate messages acked unhandled'),
  };
  const handlerDuration = new SeriesHistogram({
    name: METRIC_NAMES.handlerDuration,
    help: 'Time in the handler chain per message, seconds',
    labelNames: ['subscription', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const consumerInFlight = new Gauge({
    name: METRIC_NAMES.consumerInFlight,
    help: 'Messages received and not yet settled, by subscription',
    labelNames: ['subscription'] as const,
    registers,
  });

  const publishedTo = perKey((topic) => ({
    duration: publishDuration.series({ topic }),
    sent: perKey((service) => sent.series({ topic, service })),
  }));
  const consumedFrom = perKey((topic) => latency.series({ topic }));
  const consumedBy = perKey((subscription) => ({
    consumed: consumed.series({ subscription }),
    outcome: perKey((outcome) => ({
      count: outcomes[outcome as MessageOutcome].series({ subscription }),
      duration: handlerDuration.series({ subscription, outcome }),
    })),
  }));
  return {
    publishDone(topic, service, outcome, seconds) {
      if (outcome === 'ok') {
        const t = publishedTo(topic);
        t.sent(service).inc();
        t.duration.observe(seconds);
      } else failures.series({ topic, service, outcome }).inc();
    },
    publishInFlight: (delta) => publishInFlight.inc(delta),
    consumed(topic, subscription, latencySeconds) {
      consumedBy(subscription).consumed.inc();
      consumedFrom(topic).observe(latencySeconds);
    },
    handled(subscription, outcome, seconds) {
      const o = consumedBy(subscription).outcome(outcome);
      o.count.inc();
      o.duration.observe(seconds);
    },
    consumerInFlight: (subscription, delta) => consumerInFlight.inc({ subscription }, delta),
  };
}
