import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBroker } from '../../src/broker/create-broker.js';
import { isBrokerError } from '../../src/broker/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';
import { eventually, startServiceUnderTest } from '../pipeline/service-harness.js';

test('MAGNETAR_BROKER=pulsar settings give a Pulsar broker that round-trips a message', async (t) => {
  const env = await ensurePulsar();
  const broker = await createBroker({
    broker: 'pulsar',
    dataDir: '/nonexistent',
    pulsarServiceUrl: env.serviceUrl,
    pulsarAdminUrl: env.adminUrl,
  });
  t.after(() => broker.close());
  assert.equal(broker.kind, 'pulsar');
  assert.ok(broker.isConnected());
  const topic = freshTopic('create-broker');
  const consumer = await broker.subscribe({ topic, subscription: 's' });
  const producer = await broker.createProducer({ topic });
  await producer.send({ data: Buffer.from('hello') });
  assert.equal((await consumer.receive(10_000)).getData().toString(), 'hello');
});

test('a Pulsar URL where nothing listens fails at creation with NotConnected', async () => {
  await assert.rejects(
    createBroker({
      broker: 'pulsar',
      dataDir: '/nonexistent',
      pulsarServiceUrl: 'pulsar://127.0.0.1:1',
    }),
    (err: unknown) => isBrokerError(err, 'NotConnected'),
  );
});

test('embedded settings give the embedded broker', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-create-broker-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const broker = await createBroker({
    broker: 'embedded',
    dataDir,
    pulsarServiceUrl: 'pulsar://127.0.0.1:1',
  });
  t.after(() => broker.close());
  assert.equal(broker.kind, 'embedded');
});

test('the whole service (API, pipeline, consumers) runs on the Pulsar broker', async (t) => {
  const env = await ensurePulsar();
  const broker = await createBroker({
    broker: 'pulsar',
    dataDir: '/nonexistent',
    pulsarServiceUrl: env.serviceUrl,
    pulsarAdminUrl: env.adminUrl,
  });
  const s = await startServiceUnderTest(t, { broker });
  assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  // The reference topics are shared with other runs on this standalone: a fresh user id
  // keeps this test's activity apart.
  const userId = `pulsar-${randomUUID()}`;
  const accepted: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await s.request('POST', '/api/v1/events', {
      type: 'item.viewed',
      userId,
      itemId: `item-${i}`,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.match(res.body.data.messageId, /^\d+:\d+:-?\d+/);
    accepted.push(res.body.data.eventId);
  }
  const page = await eventually(
    () => s.request('GET', `/api/v1/users/${userId}/activity?limit=100`),
    (r) => r.body.data.items.length >= accepted.length,
  );
  const ids = page.body.data.items.map((x: { eventId: string }) => x.eventId);
  assert.deepEqual([...ids].sort(), [...accepted].sort());
  const topics = await s.request('GET', '/api/v1/admin/topics');
  assert.equal(topics.status, 200, JSON.stringify(topics.body));
});
