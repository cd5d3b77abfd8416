import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createEmbeddedBroker,
  isBrokerError,
  type ProducerMessage,
} from '../../../src/broker/index.js';
import { tempDir } from './held-sync.js';

const BAD: Array<[string, Partial<Record<keyof ProducerMessage, unknown>>]> = [
  ['eventTimestamp NaN', { eventTimestamp: Date.parse('not a date') }],
  ['eventTimestamp Infinity', { eventTimestamp: Infinity }],
  ['eventTimestamp string', { eventTimestamp: '1700000000000' }],
  ['deliverAt NaN', { deliverAt: NaN }],
  ['deliverAfter NaN', { deliverAfter: NaN }],
  ['deliverAfter -Infinity', { deliverAfter: -Infinity }],
  ['partitionKey number', { partitionKey: 42 }],
  ['orderingKey object', { orderingKey: { k: 1 } }],
];

test('a send with a bad time or key field is refused alone; the sends of the same turn are stored', async (t) => {
  const broker = await createEmbeddedBroker({ dataDir: tempDir(t) });
  t.after(() => broker.close());
  const good = await broker.createProducer({ topic: 'orders' });
  const other = await broker.createProducer({ topic: 'other' });
  let n = 0;
  for (const [label, fields] of BAD) {
    const results = await Promise.allSettled([
      good.send({ data: Buffer.from(`g${++n}`) }),
      other.send({ data: Buffer.from('bad'), ...fields } as ProducerMessage),
      good.send({ data: Buffer.from(`g${++n}`) }),
    ]);
    assert.equal(results[0].status, 'fulfilled', label);
    assert.equal(results[2].status, 'fulfilled', label);
    assert.equal(results[1].status, 'rejected', label);
    const reason = (results[1] as PromiseRejectedResult).reason as Error;
    assert.ok(isBrokerError(reason, 'InvalidArgument'), `${label}: ${String(reason)}`);
  }
  const stored = await broker.admin.readMessages('orders', { limit: 100 });
  assert.equal(stored.length, n);
  assert.equal((await broker.admin.readMessages('other', { limit: 100 })).length, 0);
});
