import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { DataFileError, type DataFileProblem } from '../../../src/shared/data-file-error.js';
import { tempDir } from './held-sync.js';

/** The broker's own error (not NotConnected: nothing is unreachable), naming the file. */
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
