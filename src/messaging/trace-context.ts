/**
 * W3C trace context for outgoing messages. Uses the registered OpenTelemetry propagator when
 * there is one; with only @opentelemetry/api loaded (no SDK, so a no-op propagator) it still
 * writes `traceparent` for an active, valid span. With no active span, a publish made for a
 * request carries the trace context the request came with, so the message continues the
 * caller's trace even when this service records no spans of its own.
 */
import { context, propagation, trace, isSpanContextValid, type Context } from '@opentelemetry/api';

const NO_TRACE: TraceProperties = Object.freeze({});

export interface TraceProperties {
  traceparent?: string;
  tracestate?: string;
}

/** Version 00 of W3C Trace Context: version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZEROS = /^0+$/;
/** The W3C limit is 32 list members; a longer header is dropped rather than cut. */
const MAX_TRACESTATE_CHARS = 512;

export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  flags: number;
}

/** The fields of a valid version-00 `traceparent`, or undefined (all-zero ids are invalid). */
export function parseTraceparent(text: string | undefined): ParsedTraceparent | undefined {
  const m = TRACEPARENT.exec(text ?? '');
  if (!m || ALL_ZEROS.test(m[1]) || ALL_ZEROS.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], flags: parseInt(m[3], 16) };
}

/**
 * The trace context of an incoming request's `traceparent` and `tracestate` headers, or
 * undefined when it has no valid one. A header sent twice is not one trace context.
 */
export function traceFromHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): TraceProperties | undefined {
  const parent = headers.traceparent;
  if (typeof parent !== 'string' || parseTraceparent(parent) === undefined) return undefined;
  const state = headers.tracestate;
  if (typeof state === 'string' && state !== '' && state.length <= MAX_TRACESTATE_CHARS)
    return { traceparent: parent, tracestate: state };
  return { traceparent: parent };
}

/** The trace context of the span of `active` (by default the active context's), or none. */
export function traceProperties(active: Context = context.active()): TraceProperties {
  const carrier: Record<string, string> = {};
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
