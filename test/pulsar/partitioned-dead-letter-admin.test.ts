// The dead-letter admin (list, replay, purge) on a partitioned dead-letter topic: each
// partition is read on its own, and ids name their partition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import {
  deadLetterTopicName,
  fullTopicName,
  parseMessageId,
  type ProducerMessage,
} from '../../src/broker/index.js';
import {
  DEAD_LETTER_RETENTION_SUBSCRIPTION,
  DeadLetterAdmin,
  FAILURE_PROPERTIES,
  ProducerPool,
} from '../../src/messaging/index.js';
import { PulsarAdmin } from '../../src/pulsar/admin/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

test(
  'dead letters in a partitioned dead-letter topic are listed, replayed and purged',
  { timeout: 300_000 },
  async (t) => {
    const env = await ensurePulsar();
    const rest = new PulsarAdmin({ baseUrl: env.adminUrl });
    const topic = freshTopic('dlq-admin');
    const dlq = deadLetterTopicName(topic, 's');
    await rest.createPartitionedTopic(dlq, 3);
    await rest.createSubscription(dlq, DEAD_LETTER_RETENTION_SUBSCRIPTION, 'earliest');
    const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
    t.after(() => broker.close());
    const pool = new ProducerPool(broker);
    t.after(() => pool.close());
    const send = async (to: string, m: ProducerMessage) => (await pool.get(to)).send(m);

    for (let i = 0; i < 6; i++)
      await send(dlq, {
        data: Buffer.from(`letter-${i}`),
        partitionKey: `user-${i}`,
        properties: {
          [FAILURE_PROPERTIES.subscription]: 's',
          [FAILURE_PROPERTIES.originalTopic]: fullTopicName(topic),
          [FAILURE_PROPERTIES.error]: `failure ${i}`,
        },
      });
    const admin = new DeadLetterAdmin(broker, send);
    // A dead-letter topic that does not exist yet has no letters (and is no error).
    const unused = { topic: freshTopic('dlq-admin-unused'), subscription: 's' };
    assert.deepEqual(await admin.list(unused), { items: [], nextCursor: null });

    const listAll = async () => {
      const seen: { id: string; data: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await admin.list({ topic, limit: 2, cursor });
        seen.push(...page.items.map((d) => ({ id: d.messageId, data: d.data })));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen;
    };
    const all = await listAll();
    assert.deepEqual(all.map((l) => l.data).sort(), [
      'letter-0',
      'letter-1',
      'letter-2',
      'letter-3',
      'letter-4',
      'letter-5',
    ]);
    const partitions = new Set(all.map((l) => parseMessageId(l.id).partition));
    assert.ok(partitions.size >= 2, `letters spread over partitions ${[...partitions]}`);
    assert.ok(!partitions.has(-1), 'ids name their partition');

    const origin = await broker.subscribe({
      topic,
      subscription: 'check',
      subscriptionInitialPosition: 'Earliest',
    });
    t.after(() => origin.close());
    const chosen = [all[0], all[5]];
    const replay = await admin.replay({ topic, ids: chosen.map((l) => l.id) });
    assert.equal(replay.replayed, 2);
    const back = [await origin.receive(20_000), await origin.receive(20_000)];
    assert.deepEqual(
      back.map((m) => m.getData().toString()).sort(),
      chosen.map((l) => l.data).sort(),
    );
    assert.equal((await listAll()).length, 4);

    const [one] = (await listAll()).filter((l) => !chosen.includes(l));
    assert.equal((await admin.purge({ topic, ids: [one.id] })).deleted, 1);
    const left = await listAll();
    assert.equal(left.length, 3);
    assert.ok(!left.some((l) => l.id === one.id));
    // Replay of all, over every partition.
    assert.equal((await admin.replay({ topic })).replayed, 3);
    const again = [];
    for (let i = 0; i < 3; i++) again.push((await origin.receive(20_000)).getData().toString());
    assert.deepEqual(again.sort(), left.map((l) => l.data).sort());
    assert.equal((await listAll()).length, 0);
    assert.equal((await admin.purge({ topic })).deleted, 0);
  },
);
