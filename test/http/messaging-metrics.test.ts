import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageOutcome, MessagingMetrics } from '../../src/messaging/metrics.js';
import { createMessagingMetrics, METRIC_NAMES } from '../../src/observability/metrics.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The messaging metrics as plain prom-client metrics with label objects: what /metrics showed. */
function reference(registry: Registry): MessagingMetrics {
  const registers = [registry];
  const sent = new Counter({
    name: METRIC_NAMES.messagesSent,
    help: 'Messages the broker confirmed as stored, by topic and publishing service',
    labelNames: ['topic', 'service'],
    registers,
  });
  const failures = new Counter({
    name: METRIC_NAMES.publishFailures,
    help: 'Publishes refused up front (rejected) or failed at the broker (error)',
    labelNames: ['topic', 'service', 'outcome'],
    registers,
  });
  const publishDuration = new Histogram({
    name: METRIC_NAMES.publishDuration,
    help: 'Time from publish call to broker receipt, seconds',
    labelNames: ['topic'],
    buckets: BUCKETS,
    registers,
  });
  const inFlight = new Gauge({
    name: METRIC_NAMES.publishInFlight,
    help: 'Publishes waiting for a broker receipt',
    registers,
  });
  const latency = new Histogram({
    name: METRIC_NAMES.latency,
    help: 'Time from publish to handler start, seconds',
    labelNames: ['topic'],
    buckets: BUCKETS,
    registers,
  });
  const bySub = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['subscription'], registers });
  const consumed = bySub(METRIC_NAMES.messagesConsumed, 'Messages handed to a handler');
  const outcomes: Record<MessageOutcome, Counter> = {
    acked: bySub(METRIC_NAMES.messagesAcked, 'Messages handled and acked'),
    retried: bySub(METRIC_NAMES.messagesRetried, 'Messages sent to the retry topic'),
    'dead-lettered': bySub(
      METRIC_NAMES.messagesDeadLettered,
      'Messages moved to the dead-letter topic',
    ),
    nacked: bySub(METRIC_NAMES.messagesNacked, 'Messages given back for redelivery'),
    skipped: bySub(METRIC_NAMES.messagesSkipped, 'Duplicate messages acked unhandled'),
  };
  const handlerDuration = new Histogram({
    name: METRIC_NAMES.handlerDuration,
    help: 'Time in the handler chain per message, seconds',
    labelNames: ['subscription', 'outcome'],
    buckets: BUCKETS,
    registers,
  });
  const consumerInFlight = new Gauge({
    name: METRIC_NAMES.consumerInFlight,
    help: 'Messages received and not yet settled, by subscription',
    labelNames: ['subscription'],
    registers,
  });
  return {
    publishDone(topic, service, outcome, seconds) {
      if (outcome === 'ok') {
        sent.inc({ topic, service });
        publishDuration.observe({ topic }, seconds);
      } else failures.inc({ topic, service, outcome });
    },
    publishInFlight: (delta) => inFlight.inc(delta),
    consumed(topic, subscription, seconds) {
      consumed.inc({ subscription });
      latency.observe({ topic }, seconds);
    },
    handled(subscription, outcome, seconds) {
      outcomes[outcome].inc({ subscription });
      handlerDuration.observe({ subscription, outcome }, seconds);
    },
    consumerInFlight: (subscription, delta) => consumerInFlight.inc({ subscription }, delta),
  };
}

function drive(m: MessagingMetrics): void {
  const topic = 'persistent://public/default/user-events';
  for (let i = 0; i < 20; i++) {
    m.publishInFlight(1);
    m.publishDone(topic, i % 3 ? 'api' : 'worker', 'ok', 0.0004 * i);
    m.publishInFlight(-1);
  }
  m.publishDone(topic, 'api', 'rejected', 0);
  m.publishDone(`${topic}-activity-RETRY`, 'api', 'error', 0.2);
  m.publishDone(`${topic}-activity-RETRY`, 'api', 'ok', 12);
  for (let i = 0; i < 12; i++) {
    const sub = i % 2 ? 'activity' : 'recommendations';
    m.consumerInFlight(sub, 1);
    m.consumed(topic, sub, 0.003 * i);
    const outcome: MessageOutcome = (['acked', 'retried', 'skipped', 'acked'] as const)[i % 4];
    m.handled(sub, outcome, 0.001 * i);
    m.consumerInFlight(sub, -1);
  }
  m.handled('activity', 'dead-lettered', 0.5);
  m.handled('activity', 'nacked', 0.05);
}

test('messaging metrics print what plain prom-client metrics printed for the same events', async () => {
  const ref = new Registry();
  const ours = new Registry();
  drive(reference(ref));
  drive(createMessagingMetrics(ours));
  const expected = await ref.metrics();
  assert.match(expected, /messaging_messages_sent_total\{topic=".*",service="worker"\} 7/);
  assert.equal(await ours.metrics(), expected);
});

test('messaging metrics with nothing recorded print the same as before', async () => {
  const ref = new Registry();
  const ours = new Registry();
  reference(ref);
  createMessagingMetrics(ours);
  assert.equal(await ours.metrics(), await ref.metrics());
});
