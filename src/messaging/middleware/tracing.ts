/**
 * Runs the handler in the trace context the publisher put on the message (W3C
 * `traceparent`/`tracestate`), so spans a handler starts join the publishing request's trace.
 * Uses the registered OpenTelemetry propagator; with none (no SDK) it reads `traceparent`
 * itself. Given a tracer, each delivery also gets a CONSUMER span, a child of the publish,
 * that ends with the message's outcome.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createTraceState,
  propagation,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import type { Middleware } from '../handler.js';
import { parseTraceparent } from '../trace-context.js';

export function parentContext(properties: Record<string, string>): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, properties);
  if (trace.getSpanContext(extracted)) return extracted;
  const parsed = parseTraceparent(properties.traceparent);
  if (parsed === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.flags & TraceFlags.SAMPLED,
    isRemote: true,
    ...(properties.tracestate ? { traceState: createTraceState(properties.tracestate) } : {}),
  });
}

export function tracing(tracer?: Tracer): Middleware {
  return (next) => (message, ctx) => {
    const parent = parentContext(message.getProperties());
    if (tracer === undefined) {
      if (parent === ROOT_CONTEXT) return next(message, ctx);
      return context.with(parent, () => next(message, ctx));
    }
    const span = tracer.startSpan(
      `process ${ctx.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'pulsar',
          'messaging.operation.type': 'process',
          'messaging.destination.name': ctx.topic,
          'messaging.consumer.group.name': ctx.subscription,
          'messaging.message.id': message.getMessageId().toString(),
          'magnetar.attempt': ctx.attempt,
        },
      },
      parent,
    );
    return context.with(trace.setSpan(parent, span), async () => {
      let threw = false;
      try {
        await next(message, ctx);
      } catch (err) {
        threw = true;
        span.recordException(err as Error);
        throw err;
      } finally {
        // Acked unless a middleware settled it otherwise (retried, dead-lettered, nacked...).
        const outcome = ctx.outcome ?? (threw ? 'nacked' : 'acked');
        span.setAttribute('magnetar.outcome', outcome);
        if (outcome !== 'acked' && outcome !== 'skipped')
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end();
      }
    });
  };
}
