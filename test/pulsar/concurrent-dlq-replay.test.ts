// Dead-letter replays running at once in one process on Pulsar: they take turns on each
// dead-letter topic, so each letter is sent once and the counts add up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarBroker } from '../../src/broker/pulsar/index.js';
import {
  deadLetterTopicName,
  fullTopicName,
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
  'concurrent replays in one process send each dead letter once',
  { timeout: 300_000 },
  async (t) => {
    const env = await ensurePulsar();
    const rest = new PulsarAdmin({ baseUrl: env.adminUrl });
    const topic = freshTopic('dlq-replay-once');
    const dlq = deadLetterTopicName(topic, 's');
    await rest.createSubscription(dlq, DEAD_LETTER_RETENTION_SUBSCRIPTION, 'earliest');
    // The original topic keeps what it gets for this subscription, which counts the copies.
    await rest.createSubscription(topic, 'count', 'earliest');
    const broker = await createPulsarBroker({ serviceUrl: env.serviceUrl, adminUrl: env.adminUrl });
    t.after(() => broker.close());
    const pool = new ProducerPool(broker);
    t.after(() => pool.close());
    const send = async (to: string, m: ProducerMessage) => (await pool.get(to)).send(m);
    const N = 30;
    for (let i = 0; i < N; i++)
      await send(dlq, {
        data: Buffer.from(`letter-${i}`),
        properties: {
          [FAILURE_PROPERTIES.subscription]: 's',
          [FAILURE_PROPERTIES.originalTopic]: fullTopicName(topic),
        },
      });
    const replays = [new DeadLetterAdmin(broker, send), new DeadLetterAdmin(broker, send)].map(
      (a) => a.replay({ topic, subscription: 's' }),
    );
    const counts = (await Promise.all(replays)).map((r) => r.replayed);
    assert.equal(counts[0] + counts[1], N, `replayed ${counts.join(' + ')}`);
    const stats = await rest.topicStats(fullTopicName(topic));
    assert.equal(stats.subscriptions.find((s) => s.name === 'count')?.msgBacklog, N);
    assert.deepEqual((await new DeadLetterAdmin(broker, send).list({ topic })).items, []);
  },
);
