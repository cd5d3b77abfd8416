import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServiceUnderTest, type ServiceUnderTest } from './service-harness.js';
import { CLI, childEnv } from './child-service.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACESTATE = 'vendor=abc,other=1';

interface Consumed {
  properties: Record<string, string>;
  data: string;
}

/**
 * The messages on user-events, read with `magnetar consume` through a subscription of its own
 * (which keeps them from the time it was first made on; `last` removes it after).
 */
async function consume(s: ServiceUnderTest, last: boolean): Promise<Consumed[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...CLI,
      'consume',
      '--topic',
      'user-events',
      '--subscription',
      'trace-check',
      '--idle-timeout-ms',
      '500',
      ...(last ? ['--unsubscribe'] : []),
    ],
    { env: childEnv(s.dataDir, { LOG_LEVEL: 'warn' }), timeout: 60_000 },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Consumed);
}

test('the trace context a request came with goes into its messages', async (t) => {
  const s = await startServiceUnderTest(t);
  assert.deepEqual(await consume(s, false), []);
  const traced = { traceparent: TRACEPARENT, tracestate: TRACESTATE };
  const one = await s.request('POST', '/api/v1/events', { type: 'a', userId: 'u1' }, traced);
  assert.equal(one.status, 202);
  const batch = await s.request(
    'POST',
    '/api/v1/events/batch',
    {
      events: [
        { type: 'b', userId: 'u1' },
        { type: 'b', userId: 'u2' },
      ],
    },
    { traceparent: TRACEPARENT },
  );
  assert.equal(batch.status, 202);
  const user = await s.request('POST', '/api/v1/users', {
    name: 'Carol',
    email: 'carol@example.com',
    age: 40,
  });
  assert.equal(
    (await s.request('GET', `/api/v1/users/${user.body.data.id}`, undefined, traced)).status,
    200,
  );
  // Without a valid trace context: none, a malformed one, an all-zero trace id.
  const untraced: Record<string, string>[] = [
    {},
    { traceparent: 'garbage', tracestate: TRACESTATE },
    { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
    { traceparent: TRACEPARENT.toUpperCase() },
  ];
  for (const headers of untraced)
    assert.equal(
      (await s.request('POST', '/api/v1/events', { type: 'c', userId: 'u3' }, headers)).status,
      202,
    );

  const messages = await consume(s, true);
  const byType = (type: string) =>
    messages.filter((m) => (JSON.parse(m.data) as { type: string }).type === type);
  assert.equal(messages.length, 8);
  const [a] = byType('a');
  assert.equal(a.properties.traceparent, TRACEPARENT);
  assert.equal(a.properties.tracestate, TRACESTATE);
  assert.equal(a.properties.requestId.length > 0, true);
  for (const b of byType('b')) {
    assert.equal(b.properties.traceparent, TRACEPARENT);
    assert.equal(b.properties.tracestate, undefined);
  }
  const [viewed] = byType('user.viewed');
  assert.equal(viewed.properties.traceparent, TRACEPARENT, 'user.viewed continues the read');
  assert.equal(viewed.properties.requestId.length > 0, true);
  const plain = byType('c');
  assert.equal(plain.length, untraced.length);
  for (const m of plain) {
    assert.equal(m.properties.traceparent, undefined);
    assert.equal(m.properties.tracestate, undefined);
  }
});
