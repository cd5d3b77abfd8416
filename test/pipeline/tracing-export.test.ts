// Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): one trace from the caller's traceparent through
// the HTTP request, the publish and the broker to both consumers, exported over OTLP/HTTP to a
// collector listening on a real socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { eventually, startServiceUnderTest } from './service-harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
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
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, resources };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
};

test('a request, its publish and its consumers are one exported trace', async (t) => {
  const otlp = await collector(t);
  const s = await startServiceUnderTest(t, {}, { OTEL_EXPORTER_OTLP_ENDPOINT: `${otlp.url}/` });
  const res = await s.request(
    'POST',
    '/api/v1/events',
    { type: 'item.viewed', userId: 'u1', itemId: 'i1' },
    { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
  );
  assert.equal(res.status, 202);
  // Probes are not traced.
  assert.equal((await s.request('GET', '/healthz')).status, 200);
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
  assert.equal(
    otlp.spans.filter((x) => attr(x, 'url.path') === '/healthz').length,
    0,
    'probes are not traced',
  );
  assert.match(JSON.stringify(otlp.resources), /"service.name".*"magnetar"/);
});
