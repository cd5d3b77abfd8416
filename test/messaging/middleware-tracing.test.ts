import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { tracing } from '../../src/messaging/index.js';
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
