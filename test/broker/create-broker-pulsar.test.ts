import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBroker } from '../../src/broker/create-broker.js';
import { isBrokerError } from '../../src/broker/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

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
