/**
 * OpenTelemetry tracing, on when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): a span per HTTP request (@fastify/otel), a PRODUCER span
 * per publish and a CONSUMER span per handled message, one trace from the caller's
 * `traceparent` through the broker to the consumers, exported over OTLP/HTTP (JSON) in batches.
 * The exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself, the
 * batch processor OTEL_BSP_*.
 *
 * Off (the default) the SDK is not even loaded: no context manager, no per-request cost.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { FastifyPluginCallback } from 'fastify';

export interface TracingSettings {
  otlpEndpoint?: string;
  otlpTracesEndpoint?: string;
  otelServiceName: string;
}

export interface Tracing {
  /** For the publisher's and the consumers' spans. */
  readonly tracer: Tracer;
  /** Registers request spans on a Fastify app; register it before any route. */
  fastifyPlugin(): FastifyPluginCallback;
  /** Exports what is left and unregisters the global tracer, context manager and propagator. */
  shutdown(): Promise<void>;
}

/** Probes and scrapes every few seconds would fill the traces with nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export const TRACER_NAME = 'magnetar';

/** The traces endpoint: given whole, or `/v1/traces` under the collector's base URL. */
export function tracesUrl(settings: TracingSettings): string {
  if (settings.otlpTracesEndpoint !== undefined) return settings.otlpTracesEndpoint;
  return `${settings.otlpEndpoint!.replace(/\/+$/, '')}/v1/traces`;
}

/** Starts tracing when an endpoint is configured; undefined when tracing is off. */
export async function startTracing(
  settings: TracingSettings,
  version: string,
): Promise<Tracing | undefined> {
  if (settings.otlpEndpoint === undefined && settings.otlpTracesEndpoint === undefined)
    return undefined;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, sdk, { FastifyOtelInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
      import('@fastify/otel'),
    ]);
  const { BatchSpanProcessor, NodeTracerProvider } = sdk;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.otelServiceName,
      'service.version': version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(settings) }))],
  });
  // The AsyncLocalStorage context manager and the W3C trace context propagator.
  provider.register();
  const http = new FastifyOtelInstrumentation({
    // One span for the request, not one more for its handler and each of its hooks.
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: (route: { url: string }) => UNTRACED_PATHS.has(route.url),
  });
  http.setTracerProvider(provider);
  return {
    tracer: provider.getTracer(TRACER_NAME, version),
    fastifyPlugin: () => http.plugin(),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        http.disable();
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
