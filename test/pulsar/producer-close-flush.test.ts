import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';
import { ensurePulsar } from '../helpers/pulsar.js';
import { clientFor, freshTopic, receiveN, text } from './client-fixture.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'stored',
    (e: unknown) => (e instanceof PulsarClientError ? e.result : String(e)),
  );

const cases = [
  { how: 'producer.close()', sendTimeoutMs: 8000 },
  { how: 'producer.close()', sendTimeoutMs: 0 },
  { how: 'client.close()', sendTimeoutMs: 8000 },
  { how: 'client.close()', sendTimeoutMs: 0 },
] as const;

for (const { how, sendTimeoutMs } of cases) {
  test(`${how} right after 50 sends stores them all, batched or not (sendTimeoutMs ${sendTimeoutMs})`, async (t) => {
    for (const batchingEnabled of [true, false]) {
      await closeRightAfterSends(t, how, batchingEnabled, sendTimeoutMs);
    }
  });
}

async function closeRightAfterSends(
  t: TestContext,
  how: (typeof cases)[number]['how'],
  batchingEnabled: boolean,
  sendTimeoutMs: number,
): Promise<void> {
  const { serviceUrl } = await ensurePulsar();
  const topic = freshTopic('close-flush');
  const reader = await clientFor(t);
  const consumer = await reader.subscribe({
    topic,
    subscription: 's',
    subscriptionInitialPosition: 'Earliest',
  });
  const client = new PulsarClient({ serviceUrl });
  t.after(() => client.close());
  const producer = await client.createProducer({
    topic,
    batchingEnabled,
    // Longer than the test waits: only close() can send the batch.
    batchingMaxPublishDelayMs: 60_000,
    sendTimeoutMs,
  });
  const sends = Array.from({ length: 50 }, (_, i) =>
    outcome(producer.send({ data: Buffer.from(`c${i}`) })),
  );
  const started = Date.now();
  const closed = how === 'client.close()' ? client.close() : producer.close();
  const finished = await Promise.race([
    closed.then(() => 'closed'),
    new Promise((r) => setTimeout(r, 5000, 'still closing')),
  ]);
  assert.equal(finished, 'closed', `batching ${batchingEnabled}`);
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(await Promise.all(sends), Array(50).fill('stored'));
  await assert.rejects(producer.send({ data: Buffer.from('late') }), /AlreadyClosed/);
  const got = await receiveN(consumer, 50);
  assert.deepEqual(
    got.map(text),
    Array.from({ length: 50 }, (_, i) => `c${i}`),
  );
}
