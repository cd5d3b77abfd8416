import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker, deadLetterTopicName } from '../../src/broker/index.js';
import {
  DEAD_LETTER_RETENTION_SUBSCRIPTION,
  ProducerPool,
  retainingDeadLetterSink,
} from '../../src/messaging/index.js';

test('the first dead letter of a topic creates the subscription that keeps them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-dlq-sink-'));
  const broker = await createEmbeddedBroker({ dataDir: dir });
  const pool = new ProducerPool(broker);
  t.after(async () => {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let subscribes = 0;
  const counting = {
    subscribe: (config: Parameters<typeof broker.subscribe>[0]) => {
      subscribes++;
      return broker.subscribe(config);
    },
  };
  const sink = retainingDeadLetterSink(counting, async (topic, m) =>
    (await pool.get(topic)).send(m),
  );
  const dlq = deadLetterTopicName('orders', 'billing');
  await Promise.all([sink(dlq, { data: Buffer.from('a') }), sink(dlq, { data: Buffer.from('b') })]);
  await sink(dlq, { data: Buffer.from('c') });
  assert.equal(subscribes, 1);
  const stats = await broker.admin.topicStats(dlq);
  const kept = stats.subscriptions.find((s) => s.name === DEAD_LETTER_RETENTION_SUBSCRIPTION);
  assert.ok(kept, JSON.stringify(stats));
  assert.equal(kept.backlog, 3);
});
