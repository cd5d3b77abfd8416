// The API's event topic is force-deleted on a Pulsar cluster without topic auto-creation:
// /readyz stays 200, POST /api/v1/events answers 503 BROKER_UNAVAILABLE while the topic is
// gone, and 202 again once it is back, with no restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import { fullTopicName, type Broker } from '../../src/broker/index.js';
import { USER_EVENTS_TOPIC } from '../../src/app/events/event-publisher.js';
import { adminCall, ensurePulsar, freshNamespace } from '../helpers/pulsar.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

test('on a real Pulsar standalone: the event topic deleted and made again needs no restart', async (t) => {
  const env = await ensurePulsar();
  const ns = await freshNamespace(env.adminUrl, 'api-gone', { allowAutoTopicCreation: false });
  const topicPath = `/admin/v2/persistent/${ns}/user-events`;
  await adminCall(env.adminUrl, 'PUT', topicPath);
  const pulsar = await createPulsarBroker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    client: { maxBackoffIntervalMs: 200 },
  });
  // The service publishes to `user-events` of public/default; here that is the topic of a
  // namespace of its own, where a deleted topic stays deleted.
  const events = fullTopicName(USER_EVENTS_TOPIC);
  const broker: Broker = {
    kind: pulsar.kind,
    admin: pulsar.admin,
    createProducer: (c) =>
      pulsar.createProducer({
        ...c,
        topic: fullTopicName(c.topic) === events ? `persistent://${ns}/user-events` : c.topic,
      }),
    subscribe: (c) => pulsar.subscribe(c),
    isConnected: () => pulsar.isConnected(),
    notConnectedReason: () => pulsar.notConnectedReason(),
    close: () => pulsar.close(),
  };
  const s = await startServiceUnderTest(t, { role: 'api', broker });
  const post = (itemId: string) =>
    s.request('POST', '/api/v1/events', { type: 'item.viewed', userId: 'u1', itemId });

  const first = await post('a');
  assert.equal(first.status, 202, JSON.stringify(first.body));
  await adminCall(env.adminUrl, 'DELETE', `${topicPath}?force=true`);
  // Refused meanwhile: the producer reconnects, then the broker refuses it for good.
  const gone = await eventually(
    () => post('gone'),
    (r) => r.status === 503,
  );
  assert.equal(gone.body.code, 50301, JSON.stringify(gone.body));
  assert.equal(gone.headers.get('retry-after'), '1');
  // Once the producer is closed for good the service is ready again: only that topic fails.
  await eventually(
    () => s.request('GET', '/readyz'),
    (r) => r.status === 200,
  );
  const started = Date.now();
  const refused = await post('still gone');
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 50301);
  assert.ok(Date.now() - started < 3000, `refused after ${Date.now() - started} ms`);
  const ready = await s.request('GET', '/readyz');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));

  await adminCall(env.adminUrl, 'PUT', topicPath);
  const back = await post('b');
  assert.equal(back.status, 202, JSON.stringify(back.body));
  assert.equal((await s.request('GET', '/readyz')).status, 200);
});
