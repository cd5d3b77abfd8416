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

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parentContext(properties: Record<string, string>): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, properties);
  if (trace.getSpanContext(extracted)) return extracted;
  const m = TRACEPARENT.exec(properties.traceparent ?? '');
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: m[1],
    spanId: m[2],
    traceFlags: parseInt(m[3], 16) & TraceFlags.SAMPLED,
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
