import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { DEAD_LETTER_RETENTION_SUBSCRIPTION, type Middleware } from '../../src/messaging/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

test('on a real Pulsar standalone: 202 events reach activity once; a poison message is dead-lettered and replayed', async (t) => {
  const env = await ensurePulsar();
  const run = randomBytes(4).toString('hex');
  const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
  let fixed = false;
  // A consumer bug that the "deploy" below fixes: events of this item fail.
  const buggy: Middleware = (next) => async (message, ctx) => {
    if (!fixed && message.getProperties().eventId === `poison-${run}`) throw new Error('bug');
    return next(message, ctx);
  };
  const s = await startServiceUnderTest(
    t,
    {
      broker,
      consumers: {
        retry: { maxAttempts: 3, backoff: { initialMs: 200, multiplier: 2 } },
        middleware: [buggy],
      },
    },
    {
      MAGNETAR_BROKER: 'pulsar',
      PULSAR_SERVICE_URL: env.serviceUrl,
      PULSAR_ADMIN_URL: env.adminUrl,
    },
  );
  const user = `pulsar-user-${run}`;
  const accepted: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await s.request('POST', '/api/v1/events', {
      type: 'item.viewed',
      userId: user,
      itemId: `i${i}`,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    accepted.push(res.body.data.eventId);
  }
  const batch = await s.request('POST', '/api/v1/events/batch', {
    events: Array.from({ length: 20 }, (_, i) => ({
      type: 'item.liked',
      userId: user,
      itemId: `b${i}`,
    })),
  });
  assert.equal(batch.status, 202);
  accepted.push(...batch.body.data.items.map((x: { eventId: string }) => x.eventId));
  const page = await eventually(
    () => s.request('GET', `/api/v1/users/${user}/activity?limit=100`),
    (r) => r.body.data.items.length >= accepted.length,
    30_000,
  );
  const ids = page.body.data.items.map((x: { eventId: string }) => x.eventId);
  assert.deepEqual([...ids].sort(), [...accepted].sort());
  const ready = await s.request('GET', '/readyz');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));

  // The poison message: retried, dead-lettered with its reason, replayed once fixed.
  const producer = await broker.createProducer({ topic: 'user-events' });
  await producer.send({
    data: Buffer.from(
      JSON.stringify({
        eventId: `poison-${run}`,
        type: 'x',
        userId: user,
        occurredAt: new Date().toISOString(),
      }),
    ),
    partitionKey: user,
    properties: { eventId: `poison-${run}` },
  });
  await producer.close();
  const mine = (r: { body: { data: { items: Array<{ properties: Record<string, string> }> } } }) =>
    (r.body.data?.items ?? assert.fail(JSON.stringify(r.body))).filter(
      (d) => d.properties.eventId === `poison-${run}`,
    );
  const listed = await eventually(
    () => s.request('GET', '/api/v1/admin/dlq?topic=user-events&subscription=activity&limit=500'),
    (r) => mine(r).length === 1,
    30_000,
  );
  const [dead] = mine(listed) as unknown as Array<{
    deadLetterTopic: string;
    messageId: string;
    reason: Record<string, unknown>;
  }>;
  assert.equal(dead.reason.attempts, 3);
  assert.equal(dead.reason.error, 'bug');
  // Kept by a subscription of their own, or Pulsar would trim them (and delete the topic).
  const dlqStats = await broker.admin.topicStats(dead.deadLetterTopic);
  assert.ok(
    dlqStats.subscriptions.some((x) => x.name === DEAD_LETTER_RETENTION_SUBSCRIPTION),
    JSON.stringify(dlqStats),
  );
  fixed = true;
  const replay = await s.request('POST', '/api/v1/admin/dlq/replay', {
    topic: 'user-events',
    subscription: 'activity',
    ids: [dead.messageId],
  });
  assert.equal(replay.body.data.replayed, 1);
  await eventually(
    () => s.request('GET', `/api/v1/users/${user}/activity?limit=100`),
    (r) => r.body.data.items.some((x: { eventId: string }) => x.eventId === `poison-${run}`),
    30_000,
  );
});

// In this file, not one of its own: both services consume `user-events` as `activity` on the
// shared standalone, so run side by side each could take the other's events (Key_Shared).
/** A free port with nothing listening on it (yet). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Opens `port` as a plain TCP relay to Pulsar's binary port: "the broker comes up". */
async function relay(port: number, target: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

test('Pulsar down at start: the service starts, answers 503 and readyz 503, and carries on once Pulsar is reachable', async (t) => {
  const env = await ensurePulsar();
  const port = await freePort();
  const s = await startServiceUnderTest(
    t,
    {},
    {
      MAGNETAR_BROKER: 'pulsar',
      PULSAR_SERVICE_URL: `pulsar://127.0.0.1:${port}`,
      PULSAR_ADMIN_URL: env.adminUrl,
    },
  );
  const user = `late-${randomBytes(4).toString('hex')}`;
  const event = { type: 'item.viewed', userId: user, itemId: 'i1' };

  // Up without its broker: health ok, readiness says why not, events refused at once.
  assert.equal((await s.request('GET', '/healthz')).status, 200);
  const ready = await s.request('GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.broker.ok, false);
  assert.match(ready.body.checks.broker.detail, /connecting to the broker/);
  assert.equal(ready.body.checks['consumer:activity'].ok, false);
  const started = Date.now();
  const refused = await s.request('POST', '/api/v1/events', event);
  assert.equal(refused.status, 503);
  assert.equal(refused.body.code, 50301);
  assert.ok(refused.headers.get('retry-after'));
  assert.ok(Date.now() - started < 500, 'refused quickly');
  // Operator routes answer 503 too, not 500.
  for (const path of ['/api/v1/admin/topics', '/api/v1/admin/dlq']) {
    const res = await s.request('GET', path);
    assert.equal(res.status, 503, path);
    assert.equal(res.body.code, 50301, path);
    assert.ok(res.headers.get('retry-after'), path);
  }
  // Routes that do not need the broker work.
  assert.equal(
    (await s.request('POST', '/api/v1/users', { name: 'Lee', email: `${user}@example.com` }))
      .status,
    201,
  );

  const server = await relay(port, env.brokerPort);
  t.after(() => new Promise((r) => server.close(r)));
  await eventually(
    () => s.request('GET', '/readyz'),
    (r) => r.status === 200,
    30_000,
  );
  const accepted = await s.request('POST', '/api/v1/events', event);
  assert.equal(accepted.status, 202);
  const activity = await eventually(
    () => s.request('GET', `/api/v1/users/${user}/activity`),
    (r) => r.body.data.items.length === 1,
    30_000,
  );
  assert.equal(activity.body.data.items[0].eventId, accepted.body.data.eventId);
});
