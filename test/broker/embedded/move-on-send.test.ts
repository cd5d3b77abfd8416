import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker, isBrokerError, type Broker } from '../../../src/broker/index.js';

const T = 'persistent://public/default/user-events';
const DLQ = `${T}-activity-DLQ`;

async function opened(t: { after(fn: () => unknown): void }, count = 1): Promise<Broker[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-move-'));
  const all: Broker[] = [];
  for (let i = 0; i < count; i++) all.push(await createEmbeddedBroker({ dataDir }));
  t.after(async () => {
    for (const b of all) await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const producer = await all[0].createProducer({ topic: DLQ });
  for (const n of [1, 2]) await producer.send({ data: Buffer.from(`letter ${n}`) });
  await producer.close();
  return all;
}

test('a send moving a message that is gone stores nothing and fails with UnknownMessageId', async (t) => {
  const [a] = await opened(t);
  const [first, second] = await a.admin.readMessages(DLQ);
  const producer = await a.createProducer({ topic: T });
  const move = (id = first.getMessageId()) =>
    producer.send({ data: Buffer.from('copy'), moveFrom: { topic: DLQ, messageId: id } });
  // Two moves of one letter in one commit: the first wins.
  const results = await Promise.allSettled([move(), move()]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.ok(isBrokerError((results[1] as PromiseRejectedResult).reason, 'UnknownMessageId'));
  await a.admin.deleteMessages(DLQ, [second.getMessageId()]);
  await assert.rejects(move(second.getMessageId()), (err) =>
    isBrokerError(err, 'UnknownMessageId'),
  );
  assert.equal((await a.admin.readMessages(T)).length, 1);
  assert.equal((await a.admin.readMessages(DLQ)).length, 0);
  // An id of another topic is none of this one's.
  const own = (await a.admin.readMessages(T))[0].getMessageId();
  await assert.rejects(move(own), (err) => isBrokerError(err, 'UnknownMessageId'));
  await producer.close();
});

test('sends racing from two connections to one file move a message once', async (t) => {
  const [a, b] = await opened(t, 2);
  const [letter] = await a.admin.readMessages(DLQ);
  const producers = [await a.createProducer({ topic: T }), await b.createProducer({ topic: T })];
  const results = await Promise.allSettled(
    producers.map((p) =>
      p.send({
        data: Buffer.from('copy'),
        moveFrom: { topic: DLQ, messageId: letter.getMessageId() },
      }),
    ),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal((await a.admin.readMessages(T)).length, 1);
  assert.equal((await b.admin.readMessages(DLQ)).length, 1);
  for (const p of producers) await p.close();
});

test('a consumer of the source topic in this process does not get a moved message', async (t) => {
  const [a] = await opened(t);
  const [first, second] = await a.admin.readMessages(DLQ);
  const producer = await a.createProducer({ topic: T });
  await producer.send({
    data: Buffer.from('copy'),
    moveFrom: { topic: DLQ, messageId: first.getMessageId() },
  });
  const consumer = await a.subscribe({
    topic: DLQ,
    subscription: 'reader',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
  });
  const got = await consumer.receive(1000);
  assert.equal(got.getMessageId().toString(), second.getMessageId().toString());
  await consumer.close();
  await producer.close();
});
