import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBroker } from '../../src/broker/create-broker.js';

test('createBroker takes what its mode needs and nothing of the other mode', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-create-broker-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // The embedded broker with its data dir only, as a library user writes it.
  const broker = await createBroker({ broker: 'embedded', dataDir });
  assert.equal(broker.kind, 'embedded');
  await broker.close();
  await assert.rejects(createBroker({ broker: 'embedded' }), {
    name: 'TypeError',
    message: 'createBroker: the embedded broker needs dataDir',
  });
  await assert.rejects(createBroker({ broker: 'pulsar', dataDir }), {
    name: 'TypeError',
    message: 'createBroker: the pulsar broker needs pulsarServiceUrl',
  });
  await assert.rejects(createBroker({ broker: 'kafka' as never, dataDir }), {
    name: 'TypeError',
    message: /broker must be 'embedded' or 'pulsar' \(got "kafka"\)/,
  });
});
