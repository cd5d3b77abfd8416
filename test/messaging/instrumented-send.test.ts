import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { BrokerMessageId, type ProducerMessage } from '../../src/broker/index.js';
import { instrumentedSend, type MessagingMetrics } from '../../src/messaging/index.js';
import { useSyncContextManager } from './sync-context.js';

const OLD = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function recordingMetrics() {
  const done: string[] = [];
  let inFlight = 0;
  const metrics: MessagingMetrics = {
    publishDone: (topic, service, outcome, seconds) =>
      done.push(`${topic} ${service} ${outcome} ${seconds}`),
    publishInFlight: (delta) => (inFlight += delta),
    consumed() {},
    handled() {},
    consumerInFlight() {},
  };
  return { done, metrics, inFlight: () => inFlight };
}

test('a send is counted and timed as a publish, under the full topic name', async () => {
  const { done, metrics, inFlight } = recordingMetrics();
  let clock = 1000;
  const sent: Array<{ topic: string; message: ProducerMessage }> = [];
  const send = instrumentedSend(
    async (topic, message) => {
      sent.push({ topic, message });
      clock += 250;
      if (message.data.toString() === 'bad') throw new Error('broker down');
      return new BrokerMessageId(1n, 2n);
    },
    { service: 'api', metrics, now: () => clock },
  );
  const message = { data: Buffer.from('x'), properties: { traceparent: OLD } };
  assert.equal((await send('user-events', message)).toString(), '1:2:-1');
  await assert.rejects(send('user-events', { data: Buffer.from('bad') }), /broker down/);
  const topic = 'persistent://public/default/user-events';
  assert.deepEqual(done, [`${topic} api ok 0.25`, `${topic} api error 0.25`]);
  assert.equal(inFlight(), 0);
  assert.equal(sent[0].topic, topic);
  assert.equal(sent[0].message.properties?.traceparent, OLD, 'without a tracer, kept as it was');
});

test('with a tracer each send is a PRODUCER span under the active one, and the message carries it', async (t) => {
  useSyncContextManager(t);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const sent: ProducerMessage[] = [];
  const send = instrumentedSend(
    async (_topic, message) => {
      sent.push(message);
      if (message.data.toString() === 'bad') throw new Error('broker down');
      return new BrokerMessageId(1n, 2n);
    },
    { service: 'start', tracer },
  );
  const request = tracer.startSpan('POST /api/v1/admin/dlq/replay');
  const original = { traceparent: OLD, tracestate: 'old=1', eventId: 'e1' };
  await context.with(trace.setSpan(context.active(), request), async () => {
    await send('user-events', { data: Buffer.from('x'), properties: original });
    await send('user-events', { data: Buffer.from('bad') }).catch(() => undefined);
  });
  request.end();
  const [ok, failed] = exporter.getFinishedSpans();
  assert.equal(ok.name, 'send persistent://public/default/user-events');
  assert.equal(ok.kind, SpanKind.PRODUCER);
  assert.equal(ok.parentSpanContext?.spanId, request.spanContext().spanId);
  assert.equal(ok.attributes['messaging.message.id'], '1:2:-1');
  const { traceId, spanId } = ok.spanContext();
  assert.deepEqual(sent[0].properties, {
    traceparent: `00-${traceId}-${spanId}-01`,
    eventId: 'e1',
  });
  assert.equal(original.traceparent, OLD, "the caller's message is not changed");
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.equal(failed.events[0].name, 'exception');
});
