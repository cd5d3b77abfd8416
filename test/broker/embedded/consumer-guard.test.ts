import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import { isBrokerError } from '../../../src/broker/index.js';
import { drain, texts } from './drain.js';
import { openBroker, second, SECOND } from './second-process-runner.js';

const open = (t: TestContext) => openBroker(t, 'magnetar-guard-');

const busyHere = (line: string | undefined): void => {
  assert.match(line ?? '', /^ConsumerBusy: /);
  assert.match(line ?? '', new RegExp(`another process \\(pid ${process.pid}\\) is consuming`));
  assert.match(line ?? '', /subscription work of persistent:\/\/public\/default\/jobs/);
};

test('a second process cannot consume a subscription this process consumes, of any type', async (t) => {
  const { dataDir, broker } = await open(t);
  await broker.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'KeyShared' });
  for (const type of ['KeyShared', 'Shared', 'Exclusive', 'Failover']) {
    const [line] = await second('subscribe', dataDir, 'jobs', 'work', type);
    busyHere(line);
  }
  // This process keeps its own rules: more KeyShared consumers join, another type does not.
  await broker.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'KeyShared' });
  await assert.rejects(
    broker.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Exclusive' }),
    (err) => isBrokerError(err, 'ConsumerBusy'),
  );
});

test('once this process closes its consumers, a second process takes over where it acked', async (t) => {
  const { dataDir, broker } = await open(t);
  const producer = await broker.createProducer({ topic: 'jobs' });
  const first = await broker.subscribe({ topic: 'jobs', subscription: 'work' });
  const otherConsumer = await broker.subscribe({
    topic: 'jobs',
    subscription: 'other',
    subscriptionType: 'Shared',
  });
  for (let i = 0; i < 6; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  for (let i = 0; i < 3; i++) await first.acknowledge(await first.receive(5000));
  busyHere((await second('subscribe', dataDir, 'jobs', 'work', 'Exclusive'))[0]);
  await first.close();
  // Closing one subscription's consumer frees that one only.
  assert.deepEqual(await second('consume', dataDir, 'jobs', 'work', '3'), ['m3', 'm4', 'm5']);
  assert.match((await second('subscribe', dataDir, 'jobs', 'other', 'Shared'))[0], /ConsumerBusy/);
  await otherConsumer.close();
  assert.deepEqual(await second('subscribe', dataDir, 'jobs', 'other', 'Shared'), ['subscribed']);
});

test('a consumer killed with SIGKILL frees its subscription at once', async (t) => {
  const { dataDir, broker } = await open(t);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SECOND, 'hold', dataDir, 'jobs', 'work'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'holding\n');
  const refused = await broker
    .subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Shared' })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  assert.ok(isBrokerError(refused, 'ConsumerBusy'), `not refused: ${String(refused)}`);
  assert.match(refused.message, new RegExp(`another process \\(pid ${child.pid}\\) is consuming`));
  // The admin view counts the other process's consumer (the api + worker layout).
  const consumersOfWork = async () =>
    (await broker.admin.topicStats('jobs')).subscriptions.find((s) => s.name === 'work')!.consumers;
  assert.equal(await consumersOfWork(), 1);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  assert.deepEqual(await exited, [null, 'SIGKILL']);
  assert.equal(await consumersOfWork(), 0, 'a dead holder counts no more');
  // No wait for staleness: the kernel dropped the lock with the process.
  const consumer = await broker.subscribe({
    topic: 'jobs',
    subscription: 'work',
    subscriptionType: 'Shared',
  });
  const producer = await broker.createProducer({ topic: 'jobs' });
  await producer.send({ data: Buffer.from('after') });
  assert.equal((await consumer.receive(5000)).getData().toString(), 'after');
});

test('a second process still publishes, and consumes another subscription, while this one consumes', async (t) => {
  const { dataDir, broker } = await open(t);
  const mine = await broker.subscribe({ topic: 'jobs', subscription: 'work' });
  const ids = await second('publish', dataDir, 'jobs', '5', 'cli');
  assert.equal(ids.length, 5);
  const expected = ['cli-0', 'cli-1', 'cli-2', 'cli-3', 'cli-4'];
  assert.deepEqual(await second('consume', dataDir, 'jobs', 'peek', '5'), expected);
  busyHere((await second('subscribe', dataDir, 'jobs', 'work', 'Exclusive'))[0]);
  assert.deepEqual(texts(await drain(mine)), expected);
});

test('taking a subscription back after another process acked on it delivers none of those again', async (t) => {
  const { dataDir, broker } = await open(t);
  const producer = await broker.createProducer({ topic: 'jobs' });
  const first = await broker.subscribe({ topic: 'jobs', subscription: 'work' });
  for (let i = 0; i < 6; i++) await producer.send({ data: Buffer.from(`m${i}`) });
  // Received (and so held in memory here) but acked only up to m1.
  for (let i = 0; i < 2; i++) await first.acknowledge(await first.receive(5000));
  await first.receive(5000);
  await first.close();
  assert.deepEqual(await second('consume', dataDir, 'jobs', 'work', '3'), ['m2', 'm3', 'm4']);
  const again = await broker.subscribe({ topic: 'jobs', subscription: 'work' });
  assert.deepEqual(texts(await drain(again)), ['m5']);
});

test('a process that closed its consumer and lives on is not counted as consuming', async (t) => {
  const { dataDir, broker } = await open(t);
  const producer = await broker.createProducer({ topic: 'jobs' });
  await producer.send({ data: Buffer.from('m') });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SECOND, 'release', dataDir, 'jobs', 'work'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => child.kill('SIGKILL'));
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'released\n');
  const stats = await broker.admin.topicStats('jobs');
  assert.equal(stats.subscriptions.find((s) => s.name === 'work')!.consumers, 0);
  // And it is free indeed: this process takes it.
  await broker.subscribe({ topic: 'jobs', subscription: 'work', subscriptionType: 'Shared' });
  assert.equal((await broker.admin.topicStats('jobs')).subscriptions[0].consumers, 1);
});
