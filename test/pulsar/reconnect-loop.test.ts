import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { Connection } from '../../src/pulsar/connection.js';
import { PulsarClientError } from '../../src/pulsar/errors.js';
import { keepConnected } from '../../src/pulsar/reconnect.js';

/** A producer/consumer stand-in: records resumes, fails the first `failures` of them. */
class FakeResumable extends EventEmitter {
  isClosed = false;
  resumed: Connection[] = [];
  gaveUpOn: unknown[] = [];
  constructor(
    private failures: number,
    private readonly failure = new PulsarClientError('ServiceNotReady', 'still starting'),
    private readonly permanent = false,
  ) {
    super();
  }
  giveUp(err: unknown) {
    if (!this.permanent) return false;
    this.gaveUpOn.push(err);
    this.isClosed = true;
    return true;
  }
  getTopic() {
    return 'persistent://public/default/t';
  }
  async resume(conn: Connection) {
    if (this.failures-- > 0) throw this.failure;
    this.resumed.push(conn);
  }
}

const conn = {} as Connection;

test('retries with growing delays until resume succeeds, looking the topic up each time', async () => {
  const target = new FakeResumable(3);
  const slept: number[] = [];
  const lookedUp: string[] = [];
  keepConnected(target, {
    initialMs: 100,
    maxMs: 1000,
    random: () => 0,
    sleep: async (ms) => void slept.push(ms),
    connect: async (topic) => (lookedUp.push(topic), conn),
  });
  const failures: unknown[] = [];
  target.on('reconnectFailed', (e) => failures.push(e));
  target.emit('disconnected', new PulsarClientError('ConnectionClosed', 'gone'));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(slept, [100, 200, 400, 800]);
  assert.equal(lookedUp.length, 4);
  assert.equal(failures.length, 3);
  assert.deepEqual(target.resumed, [conn]);
});

test('stops trying once the target is closed, and a second drop while retrying is one loop', async () => {
  const target = new FakeResumable(Number.POSITIVE_INFINITY);
  let attempts = 0;
  keepConnected(target, {
    initialMs: 1,
    maxMs: 1,
    sleep: () => new Promise((r) => setTimeout(r, 1)),
    connect: async () => {
      attempts++;
      if (attempts === 5) target.isClosed = true;
      return conn;
    },
  });
  target.emit('disconnected');
  target.emit('disconnected');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(attempts, 5);
  assert.deepEqual(target.resumed, []);
});

test('a failed lookup counts as a failed attempt and is retried', async () => {
  const target = new FakeResumable(0);
  let calls = 0;
  keepConnected(target, {
    initialMs: 1,
    sleep: async () => undefined,
    connect: async () => {
      if (++calls < 3) throw new PulsarClientError('ConnectError', 'refused');
      return conn;
    },
  });
  target.emit('disconnected');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls, 3);
  assert.deepEqual(target.resumed, [conn]);
});

test('a refusal the target takes as permanent ends the loop after that attempt', async () => {
  const refusal = new PulsarClientError('TopicTerminatedError', 'Topic was already terminated');
  const target = new FakeResumable(Number.POSITIVE_INFINITY, refusal, true);
  let attempts = 0;
  keepConnected(target, {
    initialMs: 1,
    maxMs: 1,
    sleep: () => new Promise((r) => setTimeout(r, 1)),
    connect: async () => (attempts++, conn),
  });
  target.emit('disconnected');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(attempts, 1);
  assert.deepEqual(target.gaveUpOn, [refusal]);
});
