// Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): one trace from the caller's traceparent through
// the HTTP request, the publish and the broker to both consumers, exported over OTLP/HTTP to a
// collector listening on a real socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { NonRetryableError, type Middleware } from '../../src/messaging/index.js';
import { httpSpanName } from '../../src/observability/tracing.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  events?: Array<{ name: string; attributes: OtlpSpan['attributes'] }>;
}

const SPAN_KIND = { server: 2, producer: 4, consumer: 5 };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** A collector: every span the exporter POSTs to /v1/traces (OTLP/HTTP JSON). */
async function collector(t: { after(fn: () => Promise<void>): void }) {
  const spans: OtlpSpan[] = [];
  const resources: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as {
          resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
        };
        for (const rs of doc.resourceSpans) {
          resources.push(rs.resource);
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((r) => server.close(() => r())).catch(() => undefined));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    resources,
    close: (done: () => void) => server.close(() => done()),
  };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
};

test('a request, its publish and its consumers are one exported trace', async (t) => {
  const otlp = await collector(t);
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=test';
  t.after(() => delete process.env.OTEL_RESOURCE_ATTRIBUTES);
  const s = await startServiceUnderTest(t, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/` });
  const res = await s.request(
    'POST',
    '/api/v1/events',
    { type: 'item.viewed', userId: 'u1', itemId: 'i1' },
    { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
  );
  assert.equal(res.status, 202);
  // Probes are not traced, with or without a query string.
  assert.equal((await s.request('GET', '/healthz')).status, 200);
  assert.equal((await s.request('GET', '/healthz?probe=1')).status, 200);
  // Refused (the cursor is not one), and traced all the same.
  assert.equal((await s.request('GET', '/api/v1/users?limit=5&cursor=secret')).status, 400);
  // No route: the span is named after the method alone.
  assert.equal((await s.request('GET', '/api/v1/no-such-route?x=1')).status, 404);
  await eventually(
    () => s.request('GET', '/api/v1/users/u1/activity'),
    (r) => r.body.data.items.length === 1,
  );
  // Shutting down exports what is left.
  await s.service.shutdown.run('test over');

  const ours = otlp.spans.filter((x) => x.traceId === TRACE_ID);
  const request = ours.find((x) => x.kind === SPAN_KIND.server);
  assert.ok(request, `a server span in ${JSON.stringify(otlp.spans.map((x) => x.name))}`);
  assert.equal(request.parentSpanId, CALLER_SPAN, 'the request continues the caller');
  assert.equal(attr(request, 'http.route'), '/api/v1/events');
  assert.equal(request.name, 'POST /api/v1/events', '{method} {route}');
  const send = ours.find((x) => x.kind === SPAN_KIND.producer);
  assert.ok(send);
  assert.equal(send.name, 'send persistent://public/default/user-events');
  assert.equal(attr(send, 'messaging.message.id'), res.body.data.messageId);
  assert.equal(send.parentSpanId, request.spanId, 'the send is a child of the request');
  const processed = ours.filter((x) => x.kind === SPAN_KIND.consumer);
  assert.deepEqual(processed.map((x) => attr(x, 'messaging.consumer.group.name')).sort(), [
    'activity',
    'recommendations',
  ]);
  for (const p of processed) {
    assert.equal(p.parentSpanId, send.spanId, 'each consumer span is a child of the send');
    assert.equal(attr(p, 'magnetar.outcome'), 'acked');
  }
  assert.deepEqual(
    otlp.spans.filter((x) => String(attr(x, 'url.path')).startsWith('/healthz')),
    [],
    'probes are not traced',
  );
  const list = otlp.spans.find((x) => attr(x, 'http.route') === '/api/v1/users');
  assert.equal(attr(list!, 'url.path'), '/api/v1/users', 'no query string in spans');
  assert.equal(list!.name, 'GET /api/v1/users');
  const activity = otlp.spans.filter((x) => x.kind === SPAN_KIND.server && x !== request);
  assert.ok(
    activity.some((x) => x.name === 'GET /api/v1/users/:id/activity'),
    'the template',
  );
  const unmatched = otlp.spans.find((x) => attr(x, 'url.path') === '/api/v1/no-such-route');
  assert.equal(unmatched?.kind, SPAN_KIND.server);
  assert.equal(unmatched.name, 'GET');
  assert.equal(attr(unmatched, 'http.route'), undefined);
  assert.doesNotMatch(JSON.stringify(otlp.spans), /secret/);
  const resource = JSON.stringify(otlp.resources);
  assert.match(resource, /"service.name".*"magnetar"/);
  assert.match(resource, /"deployment.environment".*"test"/, 'OTEL_RESOURCE_ATTRIBUTES');
});

test('HTTP server spans are named as the HTTP conventions say', () => {
  assert.equal(httpSpanName('GET', '/api/v1/users/:id'), 'GET /api/v1/users/:id');
  assert.equal(httpSpanName('DELETE', undefined), 'DELETE');
  assert.equal(httpSpanName('PROPFIND', '/x'), 'HTTP /x', 'a method the conventions do not know');
  assert.equal(httpSpanName('PROPFIND', undefined), 'HTTP');
});

test('OTEL_SDK_DISABLED turns tracing off; a collector that is down costs the shutdown 3 s at most', async (t) => {
  const otlp = await collector(t);
  const off = await startServiceUnderTest(
    t,
    {},
    { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SDK_DISABLED: 'true' },
  );
  const traced = { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` };
  const body = { type: 'item.viewed', userId: 'u2' };
  assert.equal((await off.request('POST', '/api/v1/events', body, traced)).status, 202);
  await off.service.shutdown.run('test over');
  assert.deepEqual(otlp.spans, []);

  // Nothing listens there any more.
  const down = await collector({ after: async () => undefined });
  const s = await startServiceUnderTest(t, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: down.url });
  await new Promise<void>((r) => down.close(r));
  assert.equal((await s.request('POST', '/api/v1/events', body, traced)).status, 202);
  const started = Date.now();
  const outcome = await s.service.shutdown.run('test over');
  assert.ok(Date.now() - started < 6000, `shutdown took ${Date.now() - started} ms`);
  assert.deepEqual(outcome.failed, ['tracing']);
});

/** A sample's value in the service's Prometheus text, 0 when it has none yet. */
async function sample(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('a dead-lettered delivery records its exception; a replay is a traced, counted publish', async (t) => {
  const otlp = await collector(t);
  let failing = true;
  const failUntilFixed: Middleware = (next) => async (message, ctx) => {
    if (failing && message.getPartitionKey() === 'u-dead')
      throw new NonRetryableError('item catalogue unavailable');
    return next(message, ctx);
  };
  const s = await startServiceUnderTest(
    t,
    { consumers: { middleware: [failUntilFixed] } },
    { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url },
  );
  const body = { type: 'item.viewed', userId: 'u-dead', itemId: 'i1' };
  assert.equal((await s.request('POST', '/api/v1/events', body)).status, 202);
  await eventually(
    () => s.request('GET', '/api/v1/admin/dlq?topic=user-events'),
    (r) => r.body.data.items.length === 2,
  );
  const topic = 'persistent://public/default/user-events';
  const sent = () =>
    sample(s.url, 'messaging_messages_sent_total', `topic="${topic}",service="start"`);
  const timed = () => sample(s.url, 'messaging_publish_duration_seconds_count', `topic="${topic}"`);
  const [sentBefore, timedBefore] = [await sent(), await timed()];
  failing = false;
  const REPLAY_TRACE = '5bf92f3577b34da6a3ce929d0e0e4737';
  const replay = await s.request(
    'POST',
    '/api/v1/admin/dlq/replay',
    { topic: 'user-events' },
    { traceparent: `00-${REPLAY_TRACE}-${CALLER_SPAN}-01` },
  );
  assert.equal(replay.status, 200);
  assert.equal(replay.body.data.replayed, 2);
  assert.equal(await sent(), sentBefore + 2, 'replays count as messages sent');
  assert.equal(await timed(), timedBefore + 2, 'and are timed as publishes');
  await eventually(
    () => s.request('GET', '/api/v1/users/u-dead/activity'),
    (r) => r.body.data.items.length === 1,
  );
  await s.service.shutdown.run('test over');

  const deadLettered = otlp.spans.filter((x) => attr(x, 'magnetar.outcome') === 'dead-lettered');
  assert.equal(deadLettered.length, 2);
  for (const span of deadLettered) {
    assert.equal(attr(span, 'error.type'), 'NON_RETRYABLE');
    const exception = span.events?.find((e) => e.name === 'exception');
    assert.ok(exception, "the handler's exception is recorded");
    const get = (key: string) =>
      Object.values(exception.attributes.find((a) => a.key === key)!.value)[0];
    assert.equal(get('exception.type'), 'NON_RETRYABLE');
    assert.equal(get('exception.message'), 'item catalogue unavailable');
  }

  const ours = otlp.spans.filter((x) => x.traceId === REPLAY_TRACE);
  const request = ours.find((x) => x.kind === SPAN_KIND.server);
  assert.equal(attr(request!, 'http.route'), '/api/v1/admin/dlq/replay');
  const sends = ours.filter((x) => x.kind === SPAN_KIND.producer);
  assert.equal(sends.length, 2, 'a send span per replayed message');
  for (const send of sends) {
    assert.equal(send.name, `send ${topic}`);
    assert.equal(send.parentSpanId, request!.spanId, 'a child of the replay request');
  }
  assert.deepEqual(
    sends.map((x) => attr(x, 'messaging.message.id')).sort(),
    [...replay.body.data.messageIds].sort(),
  );
  // Both subscriptions get both replayed letters (one is a duplicate to each).
  const processed = ours.filter((x) => x.kind === SPAN_KIND.consumer);
  assert.equal(processed.length, 4);
  const sendIds = sends.map((x) => x.spanId);
  for (const p of processed) assert.ok(sendIds.includes(p.parentSpanId!), 'continues the replay');
});
