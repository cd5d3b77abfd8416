import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';

/** Another connection takes the file's write lock (as an operator's sqlite3 shell would). */
function holdWriteLock(t: TestContext, dataDir: string): () => void {
  const db = new Database(join(dataDir, 'broker.sqlite'));
  db.exec('BEGIN IMMEDIATE');
  const release = () => {
    if (db.open) {
      db.exec('ROLLBACK');
      db.close();
    }
  };
  t.after(release);
  return release;
}

/** A BrokerError of the broker's own (Internal) saying the file is locked, SQLite's as cause. */
function lockedError(doing: RegExp) {
  return (err: unknown) => {
    assert.ok(isBrokerError(err, 'Internal'), String(err));
    assert.match(err.message, doing);
    assert.match(err.message, /: its database is locked by another process$/);
    assert.equal((err.cause as { code?: string }).code, 'SQLITE_BUSY');
    return true;
  };
}

test('metadata writes and admin deletes under another process’s lock are locked BrokerErrors', async (t) => {
  const dataDir = tempDir(t);
  const broker = await createEmbeddedBroker({ dataDir });
  t.after(() => broker.close());
  const producer = await broker.createProducer({ topic: 'a' });
  const id = await producer.send({ data: Buffer.from('m1') });
  const release = holdWriteLock(t, dataDir);

  await assert.rejects(
    broker.createProducer({ topic: 'b' }),
    lockedError(/^cannot create topic persistent:\/\/public\/default\/b/),
  );
  await assert.rejects(
    broker.subscribe({ topic: 'a', subscription: 's' }),
    lockedError(/^cannot create subscription s/),
  );
  await assert.rejects(
    broker.admin.purge('a'),
    lockedError(/^cannot purge persistent:\/\/public\/default\/a/),
  );
  await assert.rejects(
    broker.admin.deleteMessages('a', [id]),
    lockedError(/^cannot delete messages of persistent:\/\/public\/default\/a/),
  );
  await assert.rejects(
    producer.send({ data: Buffer.from('m2') }),
    lockedError(/^could not store messages/),
  );

  // Nothing was left half done: once the lock is gone, the same calls succeed.
  release();
  await broker.createProducer({ topic: 'b' });
  const consumer = await broker.subscribe({
    topic: 'a',
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  assert.equal((await consumer.receive(1000)).getData().toString(), 'm1');
  await consumer.close();
  assert.equal(await broker.admin.purge('a'), 1);
});
