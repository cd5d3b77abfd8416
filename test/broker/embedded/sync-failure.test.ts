import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';
import { createEmbeddedBroker, isBrokerError } from '../../../src/broker/index.js';
import { tempDir, writerWithHeldSync } from './held-sync.js';
import { drain, texts } from './drain.js';

const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });

test('after a failed WAL sync, later sends are refused at once and never stored or delivered', async (t) => {
  const { sync, events, send, count } = writerWithHeldSync(t);
  const first = send(1).catch((err: unknown) => err);
  await new Promise((r) => setImmediate(r));
  sync.release(eio());
  assert.ok(isBrokerError(await first, 'Internal'));
  assert.deepEqual(events, ['written 1', 'committed 1']);
  // A client retrying its send must not add a delivered copy each time.
  for (let i = 2; i <= 4; i++) {
    await assert.rejects(send(i), (err: unknown) => isBrokerError(err, 'Internal'));
  }
  assert.equal(count('messages'), 1, 'nothing written after the failure');
  assert.deepEqual(events, ['written 1', 'committed 1'], 'nothing more handed to consumers');
});

test('sends queued while the failing sync ran are refused without being written', async (t) => {
  const { sync, events, send, count } = writerWithHeldSync(t);
  const first = send(1).catch((err: unknown) => err);
  await new Promise((r) => setImmediate(r));
  const queued = send(2).catch((err: unknown) => err);
  await new Promise((r) => setImmediate(r));
  sync.release(eio());
  assert.ok(isBrokerError(await first, 'Internal'));
  const err = await queued;
  assert.ok(isBrokerError(err, 'Internal'), String(err));
  assert.equal((err as Error).cause, sync.failed);
  assert.equal(count('messages'), 1);
  assert.deepEqual(events, ['written 1', 'committed 1']);
});

test('after a failed WAL sync, acks are refused and not written', async (t) => {
  const { sync, send, ack, count } = writerWithHeldSync(t);
  const first = send(1).catch(() => undefined);
  await new Promise((r) => setImmediate(r));
  sync.release(eio());
  await first;
  await assert.rejects(ack(1), (err: unknown) => isBrokerError(err, 'Internal'));
  assert.equal(count('acks'), 0);
});

/** One EIO from the WAL's next fdatasync, as a failing disk reports it. */
function failNextFdatasync(t: { after(fn: () => unknown): void }): void {
  const real = fs.fdatasync;
  let failNext = true;
  const patched = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    if (!failNext) return real(fd, cb);
    failNext = false;
    setImmediate(() => cb(eio()));
  };
  (fs as { fdatasync: unknown }).fdatasync = patched;
  syncBuiltinESMExports();
  t.after(() => {
    (fs as { fdatasync: unknown }).fdatasync = real;
    syncBuiltinESMExports();
  });
}

test('a broker whose WAL fsync failed once delivers no copy of the sends retried after it', async (t) => {
  const dataDir = tempDir(t);
  const broker = await createEmbeddedBroker({ dataDir, synchronous: 'FULL' });
  t.after(() => broker.close().catch(() => undefined));
  const consumer = await broker.subscribe({
    topic: 'ff',
    subscription: 's',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await broker.createProducer({ topic: 'ff' });
  await producer.send({ data: Buffer.from('one') });
  failNextFdatasync(t);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(producer.send({ data: Buffer.from('two') }), (err: unknown) =>
      isBrokerError(err, 'Internal'),
    );
  }
  const got = texts(await drain(consumer, { ack: false }));
  assert.deepEqual(got, ['one', 'two'], 'only the send whose sync failed is stored');
});

test('producer.flush() rejects when the sync it waits for failed, and after; close still closes', async (t) => {
  const dataDir = tempDir(t);
  const broker = await createEmbeddedBroker({ dataDir, synchronous: 'FULL' });
  t.after(() => broker.close());
  const producer = await broker.createProducer({ topic: 'fl' });
  await producer.send({ data: Buffer.from('one') });
  failNextFdatasync(t);
  const sent = producer.send({ data: Buffer.from('two') }).catch((err: unknown) => err);
  await new Promise((r) => setImmediate(r)); // committed, its sync running
  const flushing = producer.flush();
  assert.ok(isBrokerError(await sent, 'Internal'));
  await assert.rejects(flushing, (err: unknown) => isBrokerError(err, 'Internal'));
  await assert.rejects(producer.flush(), (err: unknown) => isBrokerError(err, 'Internal'));
  // Operators can still read what is stored.
  assert.equal((await broker.admin.readMessages('fl')).length, 2);
  await producer.close();
  await broker.close();
});
