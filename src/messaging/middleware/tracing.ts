/**
 * Runs the handler in the trace context the publisher put on the message (W3C
 * `traceparent`/`tracestate`), so spans a handler starts join the publishing request's trace.
 * Uses the registered OpenTelemetry propagator; with none (no SDK) it reads `traceparent`
 * itself.
 */
import {
  ROOT_CONTEXT,
  TraceFlags,
  context,
  createTraceState,
  propagation,
  trace,
  type Context,
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

export function tracing(): Middleware {
  return (next) => (message, ctx) => {
    const parent = parentContext(message.getProperties());
    if (parent === ROOT_CONTEXT) return next(message, ctx);
    return context.with(parent, () => next(message, ctx));
  };
}
