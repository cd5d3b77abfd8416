import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeadLetterAdmin,
  FAILURE_PROPERTIES,
  InvalidCursorError,
  ProducerPool,
} from '../../src/messaging/index.js';
import {
  BrokerMessageId,
  createEmbeddedBroker,
  RETRY_PROPERTIES,
  type Broker,
  type BrokerAdmin,
  type Message,
} from '../../src/broker/index.js';
import { FakeBroker, fakeMessage } from './fake-broker.js';

const T = 'persistent://public/default/user-events';

async function seeded() {
  const broker = new FakeBroker();
  const pool = new ProducerPool(broker);
  const admin = new DeadLetterAdmin(broker, async (topic, m) => (await pool.get(topic)).send(m));
  for (const sub of ['activity', 'recommendations'])
    for (let i = 0; i < 3; i++)
      await broker.store(`${T}-${sub}-DLQ`, {
        data: Buffer.from(`{"n":${i}}`),
        partitionKey: `u${i}`,
        properties: {
          eventId: `${sub}-${i}`,
          [FAILURE_PROPERTIES.error]: 'bad',
          [FAILURE_PROPERTIES.attempts]: '5',
          [FAILURE_PROPERTIES.originalTopic]: T,
          [FAILURE_PROPERTIES.subscription]: sub,
          [RETRY_PROPERTIES.reconsumeTimes]: '4',
        },
      });
  await broker.store(T, { data: Buffer.from('live') });
  return { broker, admin };
}

test('lists dead letters with their reasons, filtered and paginated', async () => {
  const { admin } = await seeded();
  assert.deepEqual(await admin.topics(), [`${T}-activity-DLQ`, `${T}-recommendations-DLQ`]);
  const page1 = await admin.list({ limit: 2 });
  assert.equal(page1.items.length, 2);
  assert.equal(page1.items[0].reason.error, 'bad');
  assert.equal(page1.items[0].reason.attempts, 5);
  assert.equal(page1.items[0].key, 'u0');
  assert.ok(page1.nextCursor);
  const page2 = await admin.list({ limit: 2, cursor: page1.nextCursor! });
  const page3 = await admin.list({ limit: 2, cursor: page2.nextCursor! });
  assert.equal(page3.nextCursor, null);
  const all = [...page1.items, ...page2.items, ...page3.items].map((d) => d.properties.eventId);
  assert.deepEqual(all, [
    'activity-0',
    'activity-1',
    'activity-2',
    'recommendations-0',
    'recommendations-1',
    'recommendations-2',
  ]);
  const onlyRec = await admin.list({ subscription: 'recommendations' });
  assert.equal(onlyRec.items.length, 3);
  const exact = await admin.list({ topic: 'user-events', subscription: 'activity', limit: 3 });
  assert.equal(exact.items.length, 3);
  assert.equal(exact.nextCursor, null);
  await assert.rejects(admin.list({ cursor: 'garbage' }), InvalidCursorError);
});

test('a dead-letter topic given as the topic filter lists and purges its letters', async () => {
  const { admin } = await seeded();
  const ids = async (filter: { topic?: string; subscription?: string }) =>
    (await admin.list(filter)).items.map((d) => d.properties.eventId);
  // As the letters name it (deadLetterTopic), in full or short.
  const dlq = `${T}-activity-DLQ`;
  assert.deepEqual(await ids({ topic: dlq }), ['activity-0', 'activity-1', 'activity-2']);
  assert.deepEqual(await ids({ topic: 'user-events-activity-DLQ' }), await ids({ topic: dlq }));
  assert.deepEqual(await ids({ topic: dlq, subscription: 'activity' }), await ids({ topic: dlq }));
  assert.deepEqual(await ids({ topic: dlq, subscription: 'recommendations' }), []);
  // A topic that does not exist still matches nothing.
  assert.deepEqual(await ids({ topic: 'user-events-nobody-DLQ' }), []);
  assert.deepEqual(await admin.purge({ topic: dlq }), { deleted: 3 });
  assert.deepEqual(await ids({ topic: 'user-events' }), [
    'recommendations-0',
    'recommendations-1',
    'recommendations-2',
  ]);
});

test('replay sends chosen dead letters back to the original topic without their failure history', async () => {
  const { broker, admin } = await seeded();
  const [first] = (await admin.list({ subscription: 'activity' })).items;
  const r = await admin.replay({ ids: [first.messageId], subscription: 'activity' });
  assert.equal(r.replayed, 1);
  const live = broker.topics.get(T)!;
  const replayed = live[live.length - 1];
  assert.equal(replayed.data.toString(), '{"n":0}');
  assert.equal(replayed.partitionKey, 'u0');
  assert.equal(replayed.properties.eventId, 'activity-0');
  assert.equal(replayed.properties[FAILURE_PROPERTIES.error], undefined);
  assert.equal(replayed.properties[RETRY_PROPERTIES.reconsumeTimes], undefined);
  assert.equal((await admin.list({ subscription: 'activity' })).items.length, 2);
  const all = await admin.replay({});
  assert.equal(all.replayed, 5);
  assert.equal((await admin.list()).items.length, 0);
});

test('replay takes the letters there when it starts, not those its own replays cause', async () => {
  const broker = new FakeBroker();
  const pool = new ProducerPool(broker);
  const dlq = `${T}-activity-DLQ`;
  const letter = (n: number) => ({
    data: Buffer.from(`not an event ${n}`),
    properties: {
      [FAILURE_PROPERTIES.originalTopic]: T,
      [FAILURE_PROPERTIES.subscription]: 'activity',
    },
  });
  // More than one page of letters whose cause persists: each replayed copy fails at once and
  // is dead-lettered again, after the letters still waiting.
  for (let n = 0; n < 450; n++) await broker.store(dlq, letter(n));
  let sends = 0;
  const admin = new DeadLetterAdmin(broker, async (topic, m) => {
    if (++sends > 2000) throw new Error('the replay does not end');
    const id = await (await pool.get(topic)).send(m);
    await broker.store(dlq, letter(1000 + sends));
    return id;
  });
  const r = await admin.replay({ subscription: 'activity' });
  assert.equal(r.replayed, 450);
  const left = await broker.admin.readMessages(dlq, { limit: 1000 });
  assert.deepEqual(
    left.map((m) => m.getData().toString()),
    Array.from({ length: 450 }, (_, i) => `not an event ${1001 + i}`),
  );
});

test('a replay cut off mid-page has deleted all but the last few letters it sent', async () => {
  const broker = new FakeBroker();
  const pool = new ProducerPool(broker);
  const dlq = `${T}-activity-DLQ`;
  for (let n = 0; n < 50; n++)
    await broker.store(dlq, {
      data: Buffer.from(`letter ${n}`),
      properties: { [FAILURE_PROPERTIES.originalTopic]: T },
    });
  let sends = 0;
  let stuck!: () => void;
  const reached = new Promise<void>((resolve) => (stuck = resolve));
  // The 31st send never returns: the process is as good as killed there.
  const admin = new DeadLetterAdmin(broker, async (topic, m) => {
    if (++sends === 31) {
      stuck();
      return new Promise<never>(() => undefined);
    }
    return (await pool.get(topic)).send(m);
  });
  void admin.replay({ subscription: 'activity' });
  await reached;
  const left = await broker.admin.readMessages(dlq, { limit: 100 });
  // 30 sent, 20 of them deleted: a rerun would send 10 again, not 30.
  assert.equal(left.length, 30);
  assert.equal(left[0].getData().toString(), 'letter 20');
});

test('purge deletes all matching dead letters, or chosen ids', async () => {
  const { admin } = await seeded();
  const [first] = (await admin.list({ subscription: 'recommendations' })).items;
  assert.deepEqual(await admin.purge({ subscription: 'recommendations', ids: [first.messageId] }), {
    deleted: 1,
  });
  assert.deepEqual(await admin.purge({ topic: 'user-events' }), { deleted: 5 });
  assert.equal((await admin.list()).items.length, 0);
});

test('a one-sided filter leaves out dead-letter topics whose names only look alike', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-dlq-names-'));
  const broker = await createEmbeddedBroker({ dataDir: dir });
  t.after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const pool = new ProducerPool(broker);
  t.after(() => pool.close());
  const admin = new DeadLetterAdmin(broker, async (topic, m) => (await pool.get(topic)).send(m));
  // [original topic, subscription]: the last two have names that share a prefix or suffix
  // with the first one's dead-letter topic.
  const pairs = [
    ['user-events', 'activity'],
    ['user-events-archive', 'activity'],
    ['orders', 'legacy-activity'],
  ];
  for (const [topic, sub] of pairs)
    await (
      await pool.get(`${topic}-${sub}-DLQ`)
    ).send({
      data: Buffer.from(`${topic}/${sub}`),
      properties: {
        [FAILURE_PROPERTIES.originalTopic]: `persistent://public/default/${topic}`,
        [FAILURE_PROPERTIES.subscription]: sub,
      },
    });
  const short = (ts: string[]) => ts.map((x) => x.replace('persistent://public/default/', ''));
  assert.deepEqual(short(await admin.topics({ topic: 'user-events' })), [
    'user-events-activity-DLQ',
  ]);
  assert.deepEqual(short(await admin.topics({ subscription: 'activity' })), [
    'user-events-activity-DLQ',
    'user-events-archive-activity-DLQ',
  ]);
  assert.deepEqual(await admin.purge({ topic: 'user-events' }), { deleted: 1 });
  const left = (await admin.list()).items.map((d) => d.data).sort();
  assert.deepEqual(left, ['orders/legacy-activity', 'user-events-archive/activity']);
});

test('replay of all on a partitioned dead-letter topic: a letter coming back into an earlier partition waits for the next replay', async () => {
  const dlq = `${T}-activity-DLQ`;
  // Two partitions, as the Pulsar admin lists them: partition 0 first, then partition 1.
  let entry = 0n;
  let held: Message[] = [];
  const add = (partition: number, text: string) =>
    held.push(
      fakeMessage(
        text,
        { [FAILURE_PROPERTIES.originalTopic]: T, [FAILURE_PROPERTIES.subscription]: 'activity' },
        { id: new BrokerMessageId(7n, ++entry, partition) },
      ),
    );
  // More than a page (200) in partition 0, so the replay reads on past its own comebacks.
  for (let i = 0; i < 250; i++) add(0, `p0-${i}`);
  for (let i = 0; i < 3; i++) add(1, `p1-${i}`);
  const sorted = () => [...held].sort((a, b) => a.getMessageId().compare(b.getMessageId()));
  const admin: Pick<BrokerAdmin, 'listTopics' | 'readMessages' | 'deleteMessages'> = {
    listTopics: async () => [dlq],
    readMessages: async (_topic, options = {}) =>
      sorted()
        .filter((m) => !options.after || m.getMessageId().compare(options.after) > 0)
        .slice(0, options.limit ?? 50),
    deleteMessages: async (_topic, ids) => {
      const gone = new Set(ids.map((id) => id.toString()));
      const before = held.length;
      held = held.filter((m) => !gone.has(m.getMessageId().toString()));
      return before - held.length;
    },
  };
  const sent: string[] = [];
  const letters = new DeadLetterAdmin({ admin } as unknown as Broker, async (_topic, m) => {
    if (sent.push(m.data.toString()) > 1000) throw new Error('the replay does not end');
    // Each replayed copy fails again at once and lands in partition 0, with a newer id.
    add(0, `again-${m.data.toString()}`);
    return new BrokerMessageId(9n, BigInt(sent.length));
  });
  const r = await letters.replay({ topic: T });
  assert.equal(r.replayed, 253);
  assert.equal(new Set(sent).size, 253, 'each letter once');
  assert.ok(sent.every((text) => !text.startsWith('again-')));
  assert.equal(held.length, 253, 'the letters that came back stay for the next replay');
  assert.ok(held.every((m) => m.getData().toString().startsWith('again-')));
});

test('a letter whose payload is not UTF-8 is listed in base64, the bytes kept exactly', async () => {
  const broker = new FakeBroker();
  const admin = new DeadLetterAdmin(broker, async () => assert.fail('no replay here'));
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x41]);
  await broker.store(`${T}-activity-DLQ`, { data: binary });
  await broker.store(`${T}-activity-DLQ`, { data: Buffer.from('{"text":"é ✓"}') });
  const [first, second] = (await admin.list({})).items;
  assert.equal(first.dataEncoding, 'base64');
  assert.deepEqual(Buffer.from(first.data, 'base64'), binary);
  assert.equal(second.dataEncoding, 'utf8');
  assert.equal(second.data, '{"text":"é ✓"}');
});

test('list with ids gives only those letters, from whichever dead-letter topic', async () => {
  const { admin } = await seeded();
  const all = (await admin.list({})).items;
  const chosen = [all[4].messageId, all[1].messageId];
  const listed = await admin.list({ ids: [...chosen, '99:99:-1'] });
  assert.deepEqual(
    listed.items.map((d) => d.messageId),
    [all[1].messageId, all[4].messageId],
    'in topic order; an unknown id is not there',
  );
  assert.equal(listed.nextCursor, null);
  assert.equal((await admin.list({ ids: chosen, subscription: 'activity' })).items.length, 1);
  // An id written another way (a leading zero, a batch index of -1) is the same letter, as
  // purge reads it.
  const [ledger, entry, partition] = all[1].messageId.split(':');
  const respelled = [`0${ledger}:${entry}:${partition}`, `${ledger}:${entry}:${partition}:-1`];
  for (const id of respelled)
    assert.deepEqual(
      (await admin.list({ ids: [id] })).items.map((d) => d.messageId),
      [all[1].messageId],
      id,
    );
});
