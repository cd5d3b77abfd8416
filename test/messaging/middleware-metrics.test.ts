import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsMiddleware, type MessagingMetrics } from '../../src/messaging/index.js';
import { FakeMessage, fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

function recorder() {
  const events: string[] = [];
  const latencies: Array<number | undefined> = [];
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
  // Any producer can set REAL_TOPIC: the label is the consumer's topic, a bounded set.
  const msg = fakeMessage('x', { REAL_TOPIC: 'persistent://public/default/made-up-1' });
  await metricsMiddleware(sink)(async (_m, ctx) => {
    await ctx.retryLater(10);
  })(msg, fakeContext(msg));
  assert.ok(events.includes(`consumed ${msg.getTopicName()} sub`), events.join());
  assert.ok(!events.some((e) => e.includes('made-up')));
  assert.ok(events.includes('handled sub retried'));
  await assert.rejects(
    metricsMiddleware(sink)(async () => {
      throw new Error('x');
    })(msg, fakeContext(msg)),
  );
  assert.ok(events.includes('handled sub nacked'));
});

test('latency is observed for first deliveries only: a retry or redelivery waited on purpose', async () => {
  const { events, latencies, sink } = recorder();
  const run = (msg: FakeMessage) =>
    metricsMiddleware(sink)(async () => {})(msg, fakeContext(msg, { now: () => 61_000 }));
  await run(fakeMessage('x', {}, { publishTime: 1000 }));
  // The third attempt, from the retry topic, published there a minute before it was due.
  await run(fakeMessage('x', { RECONSUMETIMES: '2' }, { publishTime: 1000 }));
  // Given back (nacked) once, then delivered again.
  await run(new FakeMessage(fakeMessage('x', {}, { publishTime: 1000 }).stored, 1));
  assert.deepEqual(latencies, [60, undefined, undefined]);
  assert.equal(events.filter((e) => e.startsWith('consumed')).length, 3);
});
