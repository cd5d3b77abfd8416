import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  context,
  trace,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import {
  Publisher,
  PublishRejectedError,
  EVENT_PROPERTIES,
  type MessagingMetrics,
} from '../../src/messaging/index.js';
import { BrokerError } from '../../src/broker/index.js';
import { traceFromHeaders } from '../../src/messaging/trace-context.js';
import { FakeBroker } from './fake-broker.js';
import { useSyncContextManager } from './sync-context.js';

const event = (n: number) => ({
  eventId: `e${n}`,
  type: 'item.viewed',
  userId: `u${n % 3}`,
  itemId: 'i1',
  occurredAt: '2026-01-01T00:00:00.000Z',
});

test('one producer per topic, created lazily and reused', async () => {
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  assert.equal(broker.producersCreated, 0);
  await pub.publishEvent('user-events', event(1));
  await pub.publishEvent('user-events', event(2));
  await pub.publishEvents('user-events', [event(3), event(4)]);
  assert.equal(broker.producersCreated, 1);
  await pub.publishEvent('other', event(5));
  assert.equal(broker.producersCreated, 2);
});

test('events are keyed by userId and carry id, type and request id', async () => {
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  const id = await pub.publishEvent('user-events', event(4), 'req-1');
  const [stored] = broker.topics.get('persistent://public/default/user-events')!;
  assert.ok(stored.id.equals(id));
  assert.equal(stored.partitionKey, 'u1');
  assert.equal(stored.properties[EVENT_PROPERTIES.eventId], 'e4');
  assert.equal(stored.properties[EVENT_PROPERTIES.eventType], 'item.viewed');
  assert.equal(stored.properties[EVENT_PROPERTIES.requestId], 'req-1');
  assert.equal(stored.properties.traceparent, undefined);
  assert.equal(JSON.parse(stored.data.toString()).eventId, 'e4');
  assert.equal(stored.eventTime, Date.parse('2026-01-01T00:00:00.000Z'));
});

test('the active span becomes a W3C traceparent property', async (t) => {
  useSyncContextManager(t);
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  const span = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  });
  await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
    pub.publishEvent('user-events', event(1)),
  );
  await pub.publishEvent('user-events', event(2));
  const [traced, plain] = broker.topics.get('persistent://public/default/user-events')!;
  assert.equal(
    traced.properties.traceparent,
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  );
  assert.equal(plain.properties.traceparent, undefined);
});

test("a request's own trace context is used when no span is active; a span wins", async (t) => {
  useSyncContextManager(t);
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  const caller = {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'v=1',
  };
  await pub.publishEvent('user-events', event(1), 'req-1', caller);
  await pub.publishEvents('user-events', [event(2), event(3)], 'req-2', caller);
  const span = trace.wrapSpanContext({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  });
  await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
    pub.publishEvent('user-events', event(4), 'req-3', caller),
  );
  const stored = broker.topics.get('persistent://public/default/user-events')!;
  for (const m of stored.slice(0, 3)) {
    assert.equal(m.properties.traceparent, caller.traceparent);
    assert.equal(m.properties.tracestate, 'v=1');
  }
  // This service's span is the message's parent, without the caller's tracestate.
  assert.equal(
    stored[3].properties.traceparent,
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  );
  assert.equal(stored[3].properties.tracestate, undefined);
});

test('with a tracer each publish is a PRODUCER span the messages carry, ended at the receipt', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const broker = new FakeBroker();
  const pub = new Publisher(broker, { tracer: provider.getTracer('test') });
  const caller = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
  const id = await pub.publishEvent('user-events', event(1), 'req-1', caller);
  await pub.publishEvents('user-events', [event(2), event(3)], 'req-2');
  let release!: () => void;
  broker.gate = new Promise((r) => (release = r));
  const failing = pub.publishEvent('user-events', event(4));
  broker.connected = false;
  release();
  await assert.rejects(failing, PublishRejectedError);
  const [one, many, failed] = exporter.getFinishedSpans();
  assert.equal(one.kind, SpanKind.PRODUCER);
  assert.equal(one.name, 'send persistent://public/default/user-events');
  assert.equal(one.parentSpanContext?.spanId, '00f067aa0ba902b7', "the request's trace");
  assert.equal(one.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(one.attributes['messaging.message.id'], id.toString());
  const stored = broker.topics.get('persistent://public/default/user-events')!;
  assert.equal(
    stored[0].properties.traceparent,
    `00-4bf92f3577b34da6a3ce929d0e0e4736-${one.spanContext().spanId}-01`,
    'the message carries the send span',
  );
  assert.equal(many.attributes['messaging.batch.message_count'], 2);
  assert.equal(many.parentSpanContext, undefined, 'no request trace: a root span');
  assert.equal(stored[1].properties.traceparent, stored[2].properties.traceparent);
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  // Messages of two requests sent together: each keeps its own trace.
  broker.connected = true;
  const other = { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' };
  await pub.publishMany('mixed', [
    { data: Buffer.from('a'), trace: caller },
    { data: Buffer.from('b'), trace: other },
    { data: Buffer.from('c') },
  ]);
  const mixed = broker.topics.get('persistent://public/default/mixed')!;
  const batch = exporter.getFinishedSpans()[3];
  assert.equal(mixed[0].properties.traceparent, caller.traceparent);
  assert.equal(mixed[1].properties.traceparent, other.traceparent);
  assert.equal(batch.parentSpanContext, undefined);
  assert.equal(
    mixed[2].properties.traceparent,
    `00-${batch.spanContext().traceId}-${batch.spanContext().spanId}-01`,
    'a message without a trace of its own carries the send',
  );
});

test('traceFromHeaders keeps only a valid, single W3C trace context', () => {
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  assert.deepEqual(traceFromHeaders({ traceparent: parent }), { traceparent: parent });
  assert.deepEqual(traceFromHeaders({ traceparent: parent, tracestate: 'a=1' }), {
    traceparent: parent,
    tracestate: 'a=1',
  });
  // A tracestate past the W3C size is dropped, the traceparent kept.
  assert.deepEqual(traceFromHeaders({ traceparent: parent, tracestate: 'a=1,'.repeat(200) }), {
    traceparent: parent,
  });
  for (const bad of [
    undefined,
    '',
    'garbage',
    parent.toUpperCase(),
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
    `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`,
    `${parent} `,
    [parent, parent],
  ])
    assert.equal(traceFromHeaders({ traceparent: bad, tracestate: 'a=1' }), undefined, String(bad));
});

test('a full publisher refuses at once with PUBLISHER_FULL and a Retry-After hint', async () => {
  const broker = new FakeBroker();
  let release!: () => void;
  broker.gate = new Promise((r) => (release = r));
  const pub = new Publisher(broker, { maxInFlight: 3, retryAfterSeconds: 2 });
  const held = [1, 2, 3].map((n) => pub.publishEvent('user-events', event(n)));
  await new Promise((r) => setImmediate(r));
  assert.equal(pub.inFlight, 3);
  assert.equal(pub.isAvailable(), false);
  const started = Date.now();
  await assert.rejects(pub.publishEvent('user-events', event(4)), (err: unknown) => {
    assert.ok(err instanceof PublishRejectedError);
    assert.equal(err.code, 'PUBLISHER_FULL');
    assert.equal(err.retryAfterSeconds, 2);
    return true;
  });
  assert.ok(Date.now() - started < 50);
  release();
  await Promise.all(held);
  assert.equal(pub.inFlight, 0);
  await pub.publishEvent('user-events', event(5));
});

test('a batch is admitted whole or not at all', async () => {
  const broker = new FakeBroker();
  const pub = new Publisher(broker, { maxInFlight: 3 });
  await assert.rejects(
    pub.publishEvents('user-events', [event(1), event(2), event(3), event(4)]),
    PublishRejectedError,
  );
  assert.equal(broker.topics.get('persistent://public/default/user-events'), undefined);
  const ids = await pub.publishEvents('user-events', [event(1), event(2), event(3)]);
  assert.equal(ids.length, 3);
});

test('a disconnected broker is refused with BROKER_UNAVAILABLE, and publishing recovers', async () => {
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  broker.connected = false;
  await assert.rejects(
    pub.publishEvent('user-events', event(1)),
    (err: unknown) => err instanceof PublishRejectedError && err.code === 'BROKER_UNAVAILABLE',
  );
  broker.connected = true;
  await pub.publishEvent('user-events', event(1));
});

test('a send failing at the broker becomes BROKER_UNAVAILABLE; other errors pass through', async () => {
  const broker = new FakeBroker();
  const pub = new Publisher(broker);
  await pub.publishEvent('user-events', event(1));
  let release!: () => void;
  broker.gate = new Promise((r) => (release = r));
  const pending = pub.publishEvent('user-events', event(2));
  broker.connected = false;
  release();
  await assert.rejects(pending, (err: unknown) => {
    return err instanceof PublishRejectedError && err.code === 'BROKER_UNAVAILABLE';
  });
});

test('a topic the broker does not have is BROKER_UNAVAILABLE (503), not an internal error', async () => {
  const broker = new FakeBroker();
  broker.createProducer = () =>
    Promise.reject(new BrokerError('TopicNotFound', 'TopicNotFound: Namespace not found'));
  const pub = new Publisher(broker);
  await assert.rejects(pub.publishEvent('user-events', event(1)), (err: unknown) => {
    return err instanceof PublishRejectedError && err.code === 'BROKER_UNAVAILABLE';
  });
});

test('metrics hooks see each publish and the in-flight count', async () => {
  const broker = new FakeBroker();
  const seen: string[] = [];
  let inFlight = 0;
  const metrics: MessagingMetrics = {
    publishDone: (topic, service, outcome) => seen.push(`${topic} ${service} ${outcome}`),
    publishInFlight: (d) => (inFlight += d),
    consumed() {},
    handled() {},
    consumerInFlight() {},
  };
  const pub = new Publisher(broker, { metrics, service: 'api', maxInFlight: 1 });
  await pub.publishEvent('user-events', event(1));
  await assert.rejects(pub.publishEvents('user-events', [event(1), event(2)]));
  assert.deepEqual(seen, [
    'persistent://public/default/user-events api ok',
    'persistent://public/default/user-events api rejected',
    'persistent://public/default/user-events api rejected',
  ]);
  assert.equal(inFlight, 0);
});

test('close waits for in-flight publishes and refuses new ones', async () => {
  const broker = new FakeBroker();
  let release!: () => void;
  broker.gate = new Promise((r) => (release = r));
  const pub = new Publisher(broker);
  const pending = pub.publishEvent('user-events', event(1));
  await new Promise((r) => setImmediate(r));
  const closing = pub.close();
  await assert.rejects(
    pub.publishEvent('user-events', event(2)),
    (err: unknown) => err instanceof PublishRejectedError && err.code === 'PUBLISHER_CLOSED',
  );
  release();
  await pending;
  await closing;
});
