/**
 * OpenTelemetry tracing, on when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): a span per HTTP request (@fastify/otel, named
 * `{method} {route}` as the HTTP conventions name server spans), a PRODUCER span
 * per publish and a CONSUMER span per handled message, one trace from the caller's
 * `traceparent` through the broker to the consumers, exported over OTLP/HTTP (JSON) in batches.
 * The exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself, the
 * batch processor OTEL_BSP_*.
 *
 * Off (the default) the SDK is not even loaded: no context manager, no per-request cost.
 */
import { DiagLogLevel, context, diag, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { FastifyPluginCallback } from 'fastify';

export interface TracingSettings {
  otlpEndpoint?: string;
  otlpTracesEndpoint?: string;
  otelServiceName: string;
  /** OTEL_SDK_DISABLED: no tracing whatever the endpoint. */
  otelSdkDisabled: boolean;
}

/** Where the SDK's own warnings go (a collector refusing spans, a full queue). */
export type TracingWarn = (message: string) => void;

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
/** On shutdown, how long the last spans may take to reach the collector. */
const FLUSH_DEADLINE_MS = 3000;

/** The URL's path: the query string (cursors, filters, e-mail addresses) stays out of spans. */
const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

export const TRACER_NAME = 'magnetar';

/** The methods OpenTelemetry's HTTP conventions know; a span of any other is named `HTTP`. */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/**
 * An HTTP server span's name by the OpenTelemetry HTTP conventions: `{method} {route}` (the
 * route template, `GET /api/v1/users/:id/activity`), just `{method}` when no route matched.
 */
export function httpSpanName(method: string, route: string | undefined): string {
  const name = KNOWN_METHODS.has(method) ? method : 'HTTP';
  return route === undefined || route === '' ? name : `${name} ${route}`;
}

/** The traces endpoint: given whole, or `/v1/traces` under the collector's base URL. */
export function tracesUrl(settings: TracingSettings): string {
  if (settings.otlpTracesEndpoint !== undefined) return settings.otlpTracesEndpoint;
  return `${settings.otlpEndpoint!.replace(/\/+$/, '')}/v1/traces`;
}

/** Starts tracing when an endpoint is configured; undefined when tracing is off. */
export async function startTracing(
  settings: TracingSettings,
  version: string,
  warn: TracingWarn,
): Promise<Tracing | undefined> {
  if (settings.otelSdkDisabled) return undefined;
  if (settings.otlpEndpoint === undefined && settings.otlpTracesEndpoint === undefined)
    return undefined;
  const [{ OTLPTraceExporter }, resources, sdk, { FastifyOtelInstrumentation }] = await Promise.all(
    [
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
      import('@fastify/otel'),
    ],
  );
  const { BatchSpanProcessor, NodeTracerProvider } = sdk;
  const report = (message: string, ...args: unknown[]) =>
    warn([message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' '));
  const quiet = () => undefined;
  diag.setLogger(
    { error: report, warn: report, info: quiet, debug: quiet, verbose: quiet },
    DiagLogLevel.WARN,
  );
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (read by the env detector) come last, so
    // they win over the defaults.
    resource: resources
      .resourceFromAttributes({
        'service.name': settings.otelServiceName,
        'service.version': version,
      })
      .merge(resources.detectResources({ detectors: [resources.envDetector] })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(settings) }))],
  });
  // The AsyncLocalStorage context manager and the W3C trace context propagator.
  provider.register();
  const http = new FastifyOtelInstrumentation({
    // One span for the request, not one more for its handler and each of its hooks.
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: (route: { url: string }) => UNTRACED_PATHS.has(pathOf(route.url)),
    requestHook: (span, request) => {
      span.setAttribute('url.path', pathOf(request.url));
      // @fastify/otel names every request span `request`.
      span.updateName(httpSpanName(request.method, request.routeOptions.url));
    },
  });
  http.setTracerProvider(provider);
  return {
    tracer: provider.getTracer(TRACER_NAME, version),
    fastifyPlugin: () => http.plugin(),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      try {
        // A collector that is down must not hold the shutdown up for its export timeouts.
        await Promise.race([
          provider.shutdown(),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(
              () => reject(new Error(`spans not exported within ${FLUSH_DEADLINE_MS} ms`)),
              FLUSH_DEADLINE_MS,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        diag.disable();
        http.disable();
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
