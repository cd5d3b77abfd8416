import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerMessageId, createEmbeddedBroker } from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';
import { drain, texts } from './drain.js';

test('deleting ids that do not exist yet does not skip the entries later written under them', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const consumer = await broker.subscribe({
    topic: 'dl',
    subscription: 's',
    subscriptionType: 'Shared',
    subscriptionInitialPosition: 'Earliest',
  });
  const producer = await broker.createProducer({ topic: 'dl' });
  const first = await producer.send({ data: Buffer.from('m1') });
  const ahead = [3n, 4n].map((e) => new BrokerMessageId(first.ledgerId, e));
  assert.equal(await broker.admin.deleteMessages('dl', [first, ...ahead]), 1);
  for (const body of ['m2', 'm3', 'm4']) await producer.send({ data: Buffer.from(body) });
  const got = texts(await drain(consumer));
  assert.deepEqual(got, ['m2', 'm3', 'm4']);
});
