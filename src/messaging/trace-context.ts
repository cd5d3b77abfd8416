/**
 * W3C trace context for outgoing messages. Uses the registered OpenTelemetry propagator when
 * there is one; with only @opentelemetry/api loaded (no SDK, so a no-op propagator) it still
 * writes `traceparent` for an active, valid span.
 */
import { context, propagation, trace, isSpanContextValid } from '@opentelemetry/api';

const NO_TRACE: TraceProperties = Object.freeze({});

export interface TraceProperties {
  traceparent?: string;
  tracestate?: string;
}

export function traceProperties(): TraceProperties {
  const carrier: Record<string, string> = {};
  const active = context.active();
  propagation.inject(active, carrier);
  if (carrier.traceparent === undefined) {
    const span = trace.getSpan(active);
    const sc = span?.spanContext();
    if (sc && isSpanContextValid(sc)) {
      const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
      carrier.traceparent = `00-${sc.traceId}-${sc.spanId}-${flags}`;
      const state = sc.traceState?.serialize();
      if (state) carrier.tracestate = state;
    }
  }
  if (carrier.traceparent === undefined) return NO_TRACE;
  const out: TraceProperties = { traceparent: carrier.traceparent };
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}
