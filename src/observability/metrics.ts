import { Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_NAMES } from './metric-names.js';
import {
  SeriesCounter,
  SeriesHistogram,
  type CounterSeries,
  type HistogramSeries,
} from './series-metrics.js';

export { createMessagingMetrics } from './messaging-metrics.js';
export { METRIC_NAMES } from './metric-names.js';

/** Metric name prefix for prom-client's default process and runtime metrics. */
export const DEFAULT_METRICS_PREFIX = 'magnetar_';

/** A fresh registry with the default Node.js metrics. Created once per process, passed in. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
  return registry;
}

type HttpLabel = 'method' | 'route' | 'status';

export interface HttpMetrics {
  requests: SeriesCounter<HttpLabel>;
  duration: SeriesHistogram<HttpLabel>;
  /** Counts and times one answered request; `route` is the route pattern, not the raw URL. */
  record(method: string, route: string, status: number, seconds: number): void;
}

interface HttpSeries {
  requests: CounterSeries;
  duration: HistogramSeries;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new SeriesCounter({
    name: METRIC_NAMES.httpRequestsTotal,
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const duration = new SeriesHistogram({
    name: METRIC_NAMES.httpRequestDuration,
    help: 'HTTP request duration in seconds, by method, route pattern and status',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // route -> method -> status -> series: three lookups of strings and a number Fastify
  // already holds, instead of building a label string per request.
  const byRoute = new Map<string, Map<string, Map<number, HttpSeries>>>();
  return {
    requests,
    duration,
    record(method, route, status, seconds) {
      let byMethod = byRoute.get(route);
      if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
      let byStatus = byMethod.get(method);
      if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
      let series = byStatus.get(status);
      if (series === undefined) {
        const labels = { method, route, status: String(status) };
        series = { requests: requests.series(labels), duration: duration.series(labels) };
        byStatus.set(status, series);
      }
      series.requests.inc();
      series.duration.observe(seconds);
    },
  };
}
