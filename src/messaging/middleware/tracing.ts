/**
 * Runs the handler in the trace context the publisher put on the message (W3C
 * `traceparent`/`tracestate`), so spans a handler starts join the publishing request's trace.
 * Uses the registered OpenTelemetry propagator; with none (no SDK) it reads `traceparent`
 * itself. Given a tracer, each delivery also gets a CONSUMER span, a child of the publish,
 * that ends with the message's outcome. A failed delivery's span records its exceptions and
 * `error.type`: the errors the middleware inside recorded on the context (`ctx.failures`; the
 * retry and dead-letter middleware settle a failure without rethrowing it) and any that
 * escapes the chain.
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
import { toError } from '../errors.js';
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
        ctx.recordFailure(toError(err));
        throw err;
      } finally {
        // Acked unless a middleware settled it otherwise (retried, dead-lettered, nacked...).
        const outcome = ctx.outcome ?? (threw ? 'nacked' : 'acked');
        span.setAttribute('magnetar.outcome', outcome);
        const failures = ctx.failures;
        for (const err of failures) span.recordException(err);
        if (failures.length > 0) span.setAttribute('error.type', errorType(failures[0]));
        if (failures.length > 0 || (outcome !== 'acked' && outcome !== 'skipped'))
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end();
      }
    });
  };
}

/**
 * `error.type` as the SDK names the exception's `exception.type`: its code (`HANDLER_TIMEOUT`,
 * `ECONNRESET`) when it has one, else its class name.
 */
function errorType(err: Error): string {
  const code = (err as { code?: unknown }).code;
  if ((typeof code === 'string' && code !== '') || typeof code === 'number') return String(code);
  return err.name || '_OTHER';
}
