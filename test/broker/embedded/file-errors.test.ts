import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { DataFileError, type DataFileProblem } from '../../../src/shared/data-file-error.js';
import { tempDir } from './held-sync.js';

// What the embedded broker makes of its SQLite file when it cannot use it: the broker's own
// error (Internal), never NotConnected (nothing is unreachable), in words for an operator.

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

/** Opening a file it cannot use: its error names the file, a DataFileError its cause. */
function refused(problem: DataFileProblem, words: RegExp) {
  return (err: unknown) => {
    assert.ok(isBrokerError(err, 'Internal'), String(err));
    assert.ok(err.cause instanceof DataFileError);
    assert.equal(err.cause.problem, problem);
    assert.match(err.message, /^cannot open its database: .*\/broker\.sqlite /);
    assert.match(err.message, words);
    return true;
  };
}

test('a broker.sqlite that is not a SQLite database is refused, naming the file', async (t) => {
  const dataDir = tempDir(t);
  writeFileSync(join(dataDir, 'broker.sqlite'), randomBytes(8192));
  await assert.rejects(
    createEmbeddedBroker({ dataDir }),
    refused('not-a-database', /is not a SQLite database \(corrupt, or another kind of file\)$/),
  );
});

test('a broker.sqlite of a newer schema version is refused before it is used', async (t) => {
  const dataDir = tempDir(t);
  const broker = await createEmbeddedBroker({ dataDir });
  await (await broker.createProducer({ topic: 'a' })).send({ data: Buffer.from('m') });
  await broker.close();
  const db = new Database(join(dataDir, 'broker.sqlite'));
  db.pragma('user_version = 7');
  db.close();
  await assert.rejects(
    createEmbeddedBroker({ dataDir }),
    refused('newer-schema', /was written by a newer Magnetar: schema 7, this build knows up to 1$/),
  );
});
