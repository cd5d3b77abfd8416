// The largest messages the broker accepts reach its bookie and come back whole: the harness
// configures the bookie's frame limit above the broker's message limit, as Pulsar's own
// bookkeeper.conf does (with the bookie's default the write fails and the broker loops).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { PulsarClient } from '../../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../helpers/pulsar.js';

/** The broker's default maxMessageSize, 5 MiB. */
const MAX_MESSAGE_SIZE = 5 * 1024 * 1024;

test(
  'a message just under the broker limit is stored and read back whole',
  { timeout: 300_000 },
  async (t) => {
    const env = await ensurePulsar();
    const client = new PulsarClient({ serviceUrl: env.serviceUrl, operationTimeoutMs: 30_000 });
    t.after(() => client.close());
    const topic = freshTopic('large');
    const consumer = await client.subscribe({ topic, subscription: 'large' });
    const producer = await client.createProducer({
      topic,
      batchingEnabled: false,
      sendTimeoutMs: 30_000,
    });
    // Room for the message metadata; the bookie's entry adds about 100 bytes more.
    const data = Buffer.alloc(MAX_MESSAGE_SIZE - 80, 7);
    data.writeUInt32BE(0xdecafbad, 0);
    await producer.send({ data });
    const m = await consumer.receive(30_000);
    assert.equal(m.getData().length, data.length);
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(digest(m.getData()), digest(data));
    await consumer.acknowledge(m);
  },
);
