import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerError, isBrokerError, type Broker } from '../../src/broker/index.js';
import { ConnectingBroker } from '../../src/app/pipeline/connecting-broker.js';

/** A stand-in for the connected broker: only what these tests look at. */
function fakeBroker() {
  const b = { closed: 0, isConnected: () => true, close: async () => void b.closed++ };
  return b as unknown as Broker & { closed: number };
}

const fast = { backoff: { initialMs: 5, maxMs: 5, jitter: 0 } };

test('a permanent error at the first attempt fails the start', async () => {
  await assert.rejects(
    ConnectingBroker.start('pulsar', async () => {
      throw new BrokerError('NotAllowed', 'token refused');
    }),
    (err: unknown) => isBrokerError(err, 'NotAllowed'),
  );
});

test('transient errors are retried; calls are refused with NotConnected until it connects', async () => {
  const real = fakeBroker();
  const failures: number[] = [];
  let attempts = 0;
  const broker = await ConnectingBroker.start(
    'pulsar',
    async () => {
      if (++attempts < 4)
        throw new BrokerError(attempts === 2 ? 'Timeout' : 'NotConnected', 'down');
      return real;
    },
    { ...fast, onAttempt: (n, err) => err && failures.push(n) },
  );
  assert.equal(broker.isConnected(), false);
  assert.match(broker.waitingFor!, /connecting to the broker: down/);
  await assert.rejects(broker.createProducer({ topic: 't' }), (e: unknown) =>
    isBrokerError(e, 'NotConnected'),
  );
  await assert.rejects(broker.admin.listTopics(), (e: unknown) => isBrokerError(e, 'NotConnected'));
  assert.equal(await broker.ready, real);
  assert.deepEqual(failures, [1, 2, 3]);
  assert.equal(broker.isConnected(), true);
  assert.equal(broker.waitingFor, undefined);
  await broker.close();
  assert.equal(real.closed, 1);
});

test('closing before it connects stops the attempts and closes a connection that arrives late', async () => {
  let attempts = 0;
  let release!: () => void;
  const late = fakeBroker();
  const broker = await ConnectingBroker.start(
    'pulsar',
    async () => {
      if (++attempts === 1) throw new BrokerError('NotConnected', 'down');
      await new Promise<void>((r) => (release = r));
      return late;
    },
    fast,
  );
  await new Promise((r) => setTimeout(r, 30)); // the second attempt is under way
  assert.equal(attempts, 2);
  const closing = broker.close();
  release();
  await closing;
  assert.equal(late.closed, 1);
  await assert.rejects(broker.ready, (e: unknown) => isBrokerError(e, 'AlreadyClosed'));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(attempts, 2, 'no attempt after close');
  assert.equal(broker.isConnected(), false);
});
