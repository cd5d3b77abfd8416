import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
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

test('an embedded data dir under /proc is refused, not a hang', () => {
  const script =
    "const { createEmbeddedBroker } = await import('./src/broker/index.ts');" +
    "await createEmbeddedBroker({ dataDir: '/proc/magnetar-nope/broker' }).then(" +
    '() => process.exit(0), (err) => { console.error(err.message); process.exit(3); });';
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(res.signal, null, 'still running after 30 s');
  assert.equal(res.status, 3, res.stderr);
  assert.match(res.stderr, /\/proc\/magnetar-nope/);
});
