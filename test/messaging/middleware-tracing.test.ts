import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import {
  compose,
  deadLetter,
  HandlerTimeoutError,
  NonRetryableError,
  recover,
  retry,
  tracing,
} from '../../src/messaging/index.js';
import { BrokerMessageId } from '../../src/broker/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';
import { useSyncContextManager } from './sync-context.js';

test('the handler runs in the trace context of the message', async (t) => {
  useSyncContextManager(t);
  const msg = fakeMessage('x', {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  let seen: ReturnType<typeof trace.getSpanContext>;
  await tracing()(async () => {
    seen = trace.getSpanContext(context.active());
  })(msg, fakeContext(msg));
  assert.equal(seen!.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(seen!.spanId, 'b7ad6b7169203331');
  assert.equal(seen!.isRemote, true);
  assert.equal(seen!.traceFlags, 1);
});

test('without a valid traceparent the handler runs in the root context', async (t) => {
  useSyncContextManager(t);
  const cases: Record<string, string>[] = [
    {},
    { traceparent: 'garbage' },
    { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` },
  ];
  for (const props of cases) {
    const msg = fakeMessage('x', props);
    let seen: unknown = 'unset';
    await tracing()(async () => {
      seen = trace.getSpanContext(context.active());
    })(msg, fakeContext(msg));
    assert.equal(seen, undefined);
  }
});

test('with a tracer each delivery gets a CONSUMER span, a child of the publish, with its outcome', async (t) => {
  useSyncContextManager(t);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const props = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const ok = fakeMessage('x', props);
  let inside: ReturnType<typeof trace.getSpanContext>;
  await tracing(tracer)(async () => {
    inside = trace.getSpanContext(context.active());
  })(ok, fakeContext(ok, { subscription: 'activity' }));
  const retried = fakeMessage('y', props);
  await tracing(tracer)(async (_m, ctx) => {
    await ctx.retryLater(10);
  })(retried, fakeContext(retried));
  const [first, second] = exporter.getFinishedSpans();
  assert.equal(first.kind, SpanKind.CONSUMER);
  assert.equal(first.name, 'process persistent://public/default/t');
  assert.equal(first.parentSpanContext?.spanId, 'b7ad6b7169203331');
  assert.equal(first.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(inside!.spanId, first.spanContext().spanId, 'the handler runs in the span');
  assert.equal(first.attributes['messaging.consumer.group.name'], 'activity');
  assert.equal(first.attributes['magnetar.outcome'], 'acked');
  assert.equal(first.status.code, SpanStatusCode.UNSET);
  assert.equal(second.attributes['magnetar.outcome'], 'retried');
  assert.equal(second.status.code, SpanStatusCode.ERROR);
});

test("a retried or dead-lettered delivery's span records the handler's exception and error.type", async (t) => {
  useSyncContextManager(t);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // The runtime's order: the tracing middleware sees none of these errors thrown.
  const chain = compose(
    tracing(provider.getTracer('test')),
    recover(),
    deadLetter({ topic: 'dlq', sink: async () => new BrokerMessageId(9n, 1n) }),
    retry({ maxAttempts: 3 }),
  );
  const run = async (err: Error, failRetry = false) => {
    const msg = fakeMessage('x');
    const ctx = fakeContext(msg);
    ctx.failRetry = failRetry;
    await chain(async () => {
      throw err;
    })(msg, ctx);
  };
  await run(new HandlerTimeoutError(50));
  await run(new NonRetryableError('no such item'));
  await run(new TypeError('boom'), true);
  const [retried, deadLettered, nacked] = exporter.getFinishedSpans();
  const exceptions = (span: typeof retried) =>
    span.events
      .filter((e) => e.name === 'exception')
      .map((e) => [e.attributes?.['exception.type'], e.attributes?.['exception.message']]);

  assert.equal(retried.attributes['magnetar.outcome'], 'retried');
  assert.equal(retried.status.code, SpanStatusCode.ERROR);
  assert.deepEqual(exceptions(retried), [
    ['HANDLER_TIMEOUT', 'handler did not finish within 50 ms'],
  ]);
  assert.equal(retried.attributes['error.type'], 'HANDLER_TIMEOUT');

  assert.equal(deadLettered.attributes['magnetar.outcome'], 'dead-lettered');
  assert.deepEqual(exceptions(deadLettered), [['NON_RETRYABLE', 'no such item']]);
  assert.equal(deadLettered.attributes['error.type'], 'NON_RETRYABLE');

  // The retry could not be scheduled: the handler's error first, then the one handling it.
  assert.equal(nacked.attributes['magnetar.outcome'], 'nacked');
  assert.deepEqual(exceptions(nacked), [
    ['TypeError', 'boom'],
    ['SETTLE_FAILED', 'could not schedule the retry'],
  ]);
  assert.equal(nacked.attributes['error.type'], 'TypeError');
});
