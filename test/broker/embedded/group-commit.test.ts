import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';

test('sends of one tick share one transaction, committed before any of them resolves', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-group-commit-'));
  const broker = await createEmbeddedBroker({ dataDir });
  // A separate connection sees only committed rows.
  const reader = new Database(join(dataDir, 'broker.sqlite'), { readonly: true });
  t.after(async () => {
    reader.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const count = reader.prepare('SELECT count(*) AS n FROM messages');
  const producer = await broker.createProducer({ topic: 'gc' });
  const seen: number[] = [];
  const sends = Array.from({ length: 500 }, (_, i) =>
    producer.send({ data: Buffer.from(String(i)) }).then((id) => {
      seen.push((count.get() as { n: number }).n);
      return id;
    }),
  );
  assert.equal((count.get() as { n: number }).n, 0, 'nothing is stored before the tick ends');
  const ids = await Promise.all(sends);
  assert.ok(
    seen.every((n) => n === 500),
    'every send resolved after all 500 were committed together',
  );
  assert.deepEqual(
    ids.map((id) => Number(id.entryId)),
    Array.from({ length: 500 }, (_, i) => i + 1),
  );
});

test('a data dir that cannot be opened is a NotConnected broker error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-bad-dir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A file where the data dir should be.
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  await assert.rejects(createEmbeddedBroker({ dataDir: file }), (err: unknown) =>
    isBrokerError(err, 'NotConnected'),
  );
});
