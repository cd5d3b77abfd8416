import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric name Magnetar exports, in one place so dashboards and alerts have one list
 * to read. Add new names here (messaging, scheduler, ...) next to their helpers.
 */
export const METRIC_NAMES = {
  httpRequestsTotal: 'magnetar_http_requests_total',
  httpRequestDuration: 'magnetar_http_request_duration_seconds',
} as const;

/** Metric name prefix for prom-client's default process and runtime metrics. */
export const DEFAULT_METRICS_PREFIX = 'magnetar_';

/** A fresh registry with the default Node.js metrics. Created once per process, passed in. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
  return registry;
}

export interface HttpMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    requests: new Counter({
      name: METRIC_NAMES.httpRequestsTotal,
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: METRIC_NAMES.httpRequestDuration,
      help: 'HTTP request duration in seconds, by method, route pattern and status',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
