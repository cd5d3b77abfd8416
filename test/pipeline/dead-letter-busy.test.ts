import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createEmbeddedBroker } from '../../src/broker/index.js';
import { DATABASE_FILE } from '../../src/broker/embedded/schema.js';
import { startServiceUnderTest } from './service-harness.js';

// The CLI (`magnetar dlq`, `publish`, `consume`) writes to the broker's database while the
// service runs: a write the service then waits out is a 503 worth retrying, as on every other
// route, not a 500.
test('dead-letter replay and purge while another process holds the broker database answer 503 DATABASE_BUSY', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-dlq-busy-'));
  const broker = await createEmbeddedBroker({ dataDir });
  const s = await startServiceUnderTest(t, { broker }, {}, dataDir);
  const producer = await broker.createProducer({ topic: 'user-events-activity-DLQ' });
  await producer.send({ data: Buffer.from('{}'), properties: { eventId: 'letter-1' } });
  await producer.close();

  const other = new BetterSqlite3(join(dataDir, DATABASE_FILE));
  t.after(() => other.close());
  other.exec('BEGIN EXCLUSIVE');
  let replay, purge;
  try {
    replay = await s.request('POST', '/api/v1/admin/dlq/replay', {});
    purge = await s.request('DELETE', '/api/v1/admin/dlq?subscription=activity');
  } finally {
    other.exec('ROLLBACK');
  }
  for (const res of [replay, purge]) {
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 50305);
    assert.equal(res.headers.get('retry-after'), '1');
  }
  // Nothing was lost: the letter is still there and replays once the lock is gone.
  const listed = await s.request('GET', '/api/v1/admin/dlq');
  assert.equal(listed.body.data.items.length, 1);
  const again = await s.request('POST', '/api/v1/admin/dlq/replay', {});
  assert.equal(again.status, 200);
  assert.equal(again.body.data.replayed, 1);

  // The description says so.
  const doc = (await s.request('GET', '/openapi.json')).body;
  for (const [path, method] of [
    ['/api/v1/admin/dlq/replay', 'post'],
    ['/api/v1/admin/dlq', 'delete'],
  ])
    assert.match(doc.paths[path][method].responses['503'].description, /50305 DATABASE_BUSY/);
});
