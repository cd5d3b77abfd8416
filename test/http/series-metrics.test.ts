import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../../src/observability/series-metrics.js';
import { createHttpMetrics, METRIC_NAMES } from '../../src/observability/metrics.js';

const labelNames = ['method', 'route', 'status'] as const;
const buckets = [0.001, 0.005, 0.01, 0.5, 1];

type Obs = { method: string; route: string; status: string; seconds: number };

/** The same observations through prom-client's own metrics and through the series metrics. */
function both(observations: Obs[], reset?: number) {
  const reference = new Registry();
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [reference] });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h "quoted" \\ help',
    labelNames,
    buckets,
    registers: [reference],
  });
  const ours = new Registry();
  const sc = new SeriesCounter({ name: 'c_total', help: 'c', labelNames, registers: [ours] });
  const sh = new SeriesHistogram({
    name: 'h_seconds',
    help: 'h "quoted" \\ help',
    labelNames,
    buckets,
    registers: [ours],
  });
  observations.forEach((o, i) => {
    if (i === reset) {
      reference.resetMetrics();
      ours.resetMetrics();
    }
    const labels = { method: o.method, route: o.route, status: o.status };
    counter.inc(labels);
    histogram.observe(labels, o.seconds);
    sc.series(labels).inc();
    sh.series(labels).observe(o.seconds);
  });
  return { reference, ours };
}

const OBSERVATIONS: Obs[] = [
  { method: 'POST', route: '/api/v1/events', status: '202', seconds: 0.0004 },
  { method: 'GET', route: '/api/v1/users/:id', status: '404', seconds: 0.001 },
  { method: 'POST', route: '/api/v1/events', status: '202', seconds: 0.0051 },
  { method: 'POST', route: '/api/v1/events', status: '503', seconds: 7 },
  { method: 'GET', route: 'weird "route" \\ with\nnewline', status: '200', seconds: 0.5 },
  { method: 'POST', route: '/api/v1/events', status: '202', seconds: 0.3333333 },
  { method: 'GET', route: '/api/v1/users/:id', status: '404', seconds: 1 },
];

test('the series metrics print exactly what prom-client prints for the same observations', async () => {
  const { reference, ours } = both(OBSERVATIONS);
  const expected = await reference.metrics();
  assert.match(expected, /h_seconds_bucket\{le="0.005",method="POST"/);
  assert.equal(await ours.metrics(), expected);
  assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());
});

test('after a reset, only series recorded again are printed, from zero', async () => {
  const { reference, ours } = both(OBSERVATIONS, 4);
  const expected = await reference.metrics();
  assert.doesNotMatch(expected, /status="503"/);
  assert.equal(await ours.metrics(), expected);
  reference.resetMetrics();
  ours.resetMetrics();
  assert.equal(await ours.metrics(), await reference.metrics());
});

test('with no observations, a series metric prints its help and type only', async () => {
  const { reference, ours } = both([]);
  assert.equal(await ours.metrics(), await reference.metrics());
});

test('HTTP metrics: one series per method, route and status, labelled as before', async () => {
  const registry = new Registry();
  const http = createHttpMetrics(registry);
  http.record('POST', '/api/v1/events', 202, 0.002);
  http.record('POST', '/api/v1/events', 202, 0.02);
  http.record('GET', '/api/v1/events', 202, 0.002);
  http.record('POST', '/api/v1/events', 429, 0.0001);
  http.record('POST', 'unmatched', 404, 0.0001);
  const text = await registry.metrics();
  const count = (labels: string) =>
    new RegExp(`^${METRIC_NAMES.httpRequestsTotal}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1];
  assert.equal(count('method="POST",route="/api/v1/events",status="202"'), '2');
  assert.equal(count('method="GET",route="/api/v1/events",status="202"'), '1');
  assert.equal(count('method="POST",route="/api/v1/events",status="429"'), '1');
  assert.equal(count('method="POST",route="unmatched",status="404"'), '1');
  assert.match(
    text,
    /^magnetar_http_request_duration_seconds_bucket\{le="0.0025",method="POST",route="\/api\/v1\/events",status="202"\} 1$/m,
  );
  assert.match(
    text,
    /^magnetar_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/events",status="202"\} 2$/m,
  );
});
