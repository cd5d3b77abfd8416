// What a runner logs while it subscribes again after the broker closed its subscription for
// good (a topic deleted): the loss once, a failure only when its reason changes, the return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerError, type Broker, type Consumer } from '../../src/broker/index.js';
import { ConsumerRunner, defineConsumer, type HandlerLogger } from '../../src/messaging/index.js';

/** A consumer whose receive() rejects with `err` at once, or times out after a short wait. */
function stubConsumer(err?: BrokerError): Consumer {
  let closed = false;
  const fail = async (): Promise<never> => {
    throw new BrokerError('NotAllowed', 'not used here');
  };
  return {
    receive: async (timeoutMs?: number) => {
      if (err) throw err;
      await new Promise((r) => setTimeout(r, Math.min(timeoutMs ?? 50, 50)));
      throw new BrokerError('Timeout', 'no message within the timeout');
    },
    acknowledge: fail,
    acknowledgeId: fail,
    acknowledgeCumulative: fail,
    negativeAcknowledge: () => undefined,
    reconsumeLater: fail,
    unsubscribe: fail,
    close: async () => {
      closed = true;
    },
    isConnected: () => !closed && err === undefined,
    getSubscription: () => 's',
  };
}

test('a runner subscribing again logs a repeated failure once, and a new reason again', async (t) => {
  const gone = () => new BrokerError('TopicNotFound', 'topic not found (looking up orders)');
  // First the subscription that the broker closes, then what each new attempt gets.
  const outcomes: Array<Consumer | BrokerError> = [
    stubConsumer(gone()),
    gone(),
    gone(),
    new BrokerError('NotConnected', 'connection refused'),
    gone(),
    stubConsumer(),
  ];
  let subscribes = 0;
  const broker = {
    subscribe: async () => {
      const next = outcomes[subscribes++];
      if (next instanceof BrokerError) throw next;
      return next;
    },
  } as unknown as Broker;
  const lines: Array<[level: string, msg: string]> = [];
  const log =
    (level: string) =>
    (_obj: object, msg = '') =>
      void lines.push([level, msg]);
  const logger: HandlerLogger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  const runner = new ConsumerRunner(
    defineConsumer({ topic: 'orders', subscription: 's', handler: () => undefined }),
    {
      broker,
      deadLetterSink: () => Promise.reject(new Error('nothing is dead-lettered here')),
      logger,
      receiveTimeoutMs: 50,
    },
  );
  t.after(() => runner.stop(100));
  await runner.start();
  const end = Date.now() + 10_000;
  while (!runner.isHealthy() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(runner.isHealthy(), 'running again');
  assert.equal(subscribes, outcomes.length);
  assert.deepEqual(lines, [
    ['warn', 'the broker closed the subscription; subscribing again'],
    // TopicNotFound again: the reason already logged.
    ['debug', 'subscribing again failed'],
    ['debug', 'subscribing again failed'],
    ['warn', 'subscribing again failed'],
    // Back to TopicNotFound: a change, so logged.
    ['warn', 'subscribing again failed'],
    ['info', 'subscribed again'],
  ]);
});
