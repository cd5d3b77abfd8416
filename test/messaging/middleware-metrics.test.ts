import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsMiddleware, type MessagingMetrics } from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

function recorder() {
  const events: string[] = [];
  const latencies: number[] = [];
  const sink: MessagingMetrics = {
    publishDone() {},
    publishInFlight() {},
    consumed(topic, sub, latency) {
      events.push(`consumed ${topic} ${sub}`);
      latencies.push(latency);
    },
    handled(sub, outcome) {
      events.push(`handled ${sub} ${outcome}`);
    },
    consumerInFlight(sub, delta) {
      events.push(`inflight ${sub} ${delta}`);
    },
  };
  return { events, latencies, sink };
}

test('metrics reports consumption, latency from publish time, and the outcome', async () => {
  const { events, latencies, sink } = recorder();
  const msg = fakeMessage('x', {}, { publishTime: 1000, topic: 'persistent://public/default/t' });
  await metricsMiddleware(sink)(async () => {})(msg, fakeContext(msg, { now: () => 1250 }));
  assert.deepEqual(events, [
    'consumed persistent://public/default/t sub',
    'inflight sub 1',
    'handled sub acked',
    'inflight sub -1',
  ]);
  assert.deepEqual(latencies, [0.25]);
});

test('metrics reports the settled outcome and a throw as nacked', async () => {
  const { events, sink } = recorder();
  const msg = fakeMessage('x', { REAL_TOPIC: 'persistent://public/default/orig' });
  await metricsMiddleware(sink)(async (_m, ctx) => {
    await ctx.retryLater(10);
  })(msg, fakeContext(msg));
  assert.ok(events.includes('consumed persistent://public/default/orig sub'));
  assert.ok(events.includes('handled sub retried'));
  await assert.rejects(
    metricsMiddleware(sink)(async () => {
      throw new Error('x');
    })(msg, fakeContext(msg)),
  );
  assert.ok(events.includes('handled sub nacked'));
});
