/**
 * What every send to a topic reports, the Publisher's and the ones made outside it (dead-letter
 * replays, which have producers of their own and no in-flight bound): the publish metrics
 * (`messaging_messages_sent_total{topic,service}`, the publish duration, failures, the
 * in-flight gauge) and, with tracing on, a PRODUCER span `send <topic>` whose trace context
 * the message carries.
 */
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { MessageId, ProducerMessage } from '../broker/index.js';
import { fullTopicName } from '../broker/index.js';
import { noopMetrics, type MessagingMetrics } from './metrics.js';
import { traceProperties } from './trace-context.js';

/** Sends one message to a topic (a producer per topic, usually a ProducerPool). */
export type MessageSink = (topic: string, message: ProducerMessage) => Promise<MessageId>;

export interface SendInstrumentation {
  /** `service` label of the publish metrics, as the Publisher's. */
  service: string;
  metrics?: MessagingMetrics;
  /** With tracing on: a PRODUCER span per send, a child of the active span. */
  tracer?: Tracer;
  now?: () => number;
}

/** The PRODUCER span of a send of `count` messages to `topic` (a full name). */
export function startSendSpan(tracer: Tracer, topic: string, parent: Context, count = 1): Span {
  return tracer.startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'pulsar',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        ...(count > 1 ? { 'messaging.batch.message_count': count } : {}),
      },
    },
    parent,
  );
}

export function endWithError(span: Span | undefined, err: unknown): void {
  if (span === undefined) return;
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
}

/**
 * `send`, counted and timed as a publish; with a tracer, each send gets a PRODUCER span (a
 * child of the active span) and the message carries that span's `traceparent` and
 * `tracestate` instead of any it had, so its consumers' spans continue this send.
 */
export function instrumentedSend(send: MessageSink, options: SendInstrumentation): MessageSink {
  const metrics = options.metrics ?? noopMetrics;
  const now = options.now ?? Date.now;
  const { service, tracer } = options;
  return async (name, message) => {
    const topic = fullTopicName(name);
    const started = now();
    let span: Span | undefined;
    let out = message;
    if (tracer !== undefined) {
      const parent = context.active();
      span = startSendSpan(tracer, topic, parent);
      const { traceparent, tracestate } = traceProperties(trace.setSpan(parent, span));
      const properties = { ...message.properties };
      delete properties.traceparent;
      delete properties.tracestate;
      if (traceparent !== undefined) properties.traceparent = traceparent;
      if (tracestate !== undefined) properties.tracestate = tracestate;
      out = { ...message, properties };
    }
    metrics.publishInFlight(1);
    try {
      const id = await send(topic, out);
      metrics.publishDone(topic, service, 'ok', (now() - started) / 1000);
      span?.setAttribute('messaging.message.id', id.toString());
      return id;
    } catch (err) {
      metrics.publishDone(topic, service, 'error', (now() - started) / 1000);
      endWithError(span, err);
      throw err;
    } finally {
      metrics.publishInFlight(-1);
      span?.end();
    }
  };
}
