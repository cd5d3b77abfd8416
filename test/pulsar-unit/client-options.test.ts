import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClient, PulsarClientError, type ClientOptions } from '../../src/pulsar/index.js';
import { answerConsumerSetup, answerProducerSetup, clientOf, FakeBroker } from './fake-broker.js';

const URL = 'pulsar://127.0.0.1:6650';

/** Rejects with InvalidConfiguration whose message names `option` and shows `shown`. */
function refusedAs(option: string, shown: string) {
  return (e: unknown) =>
    e instanceof PulsarClientError &&
    e.result === 'InvalidConfiguration' &&
    e.message.includes(`${option} ${shown} is not valid`);
}

const BAD_CLIENT_OPTIONS: Array<[Partial<ClientOptions>, string, string]> = [
  [{ operationTimeoutMs: -5 }, 'operationTimeoutMs', '-5'],
  [{ operationTimeoutMs: 'abc' as never }, 'operationTimeoutMs', '"abc"'],
  [{ operationTimeoutMs: '30000' as never }, 'operationTimeoutMs', '"30000"'],
  [{ operationTimeoutMs: 0 }, 'operationTimeoutMs', '0'],
  [{ operationTimeoutMs: Number.POSITIVE_INFINITY }, 'operationTimeoutMs', 'Infinity'],
  [{ connectionTimeoutMs: 'abc' as never }, 'connectionTimeoutMs', '"abc"'],
  [{ keepAliveIntervalMs: -1 }, 'keepAliveIntervalMs', '-1'],
  [{ initialBackoffIntervalMs: Number.NaN }, 'initialBackoffIntervalMs', 'NaN'],
  [{ maxBackoffIntervalMs: 'x' as never }, 'maxBackoffIntervalMs', '"x"'],
  [{ initialBackoffIntervalMs: 500, maxBackoffIntervalMs: 100 }, 'maxBackoffIntervalMs', '100'],
  [{ useTls: 'yes' as never }, 'useTls', '"yes"'],
  [{ onWarning: 'log' as never }, 'onWarning', '"log"'],
];

for (const [options, option, shown] of BAD_CLIENT_OPTIONS) {
  test(`new PulsarClient refuses ${option} ${shown} (${Object.keys(options).join(', ')})`, () => {
    assert.throws(
      () => new PulsarClient({ serviceUrl: URL, ...options }),
      refusedAs(option, shown),
    );
  });
}

test('new PulsarClient takes good values and the defaults', async () => {
  for (const options of [
    {},
    { operationTimeoutMs: 1, connectionTimeoutMs: 500, keepAliveIntervalMs: 0 },
    { initialBackoffIntervalMs: 100, maxBackoffIntervalMs: 100 },
  ]) {
    await new PulsarClient({ serviceUrl: URL, ...options }).close();
  }
});

test('producer and consumer counts must be whole numbers; NaN is reported as NaN', async (t) => {
  const broker = await FakeBroker.start((cmd, conn) => answerProducerSetup(cmd, conn));
  const client = clientOf(t, broker);
  await assert.rejects(
    client.createProducer({ topic: 't', sendTimeoutMs: Number.NaN }),
    refusedAs('sendTimeoutMs', 'NaN'),
  );
  await assert.rejects(
    client.createProducer({ topic: 't', batchingMaxMessages: 1.5 }),
    refusedAs('batchingMaxMessages', '1.5'),
  );
  await assert.rejects(
    client.createProducer({ topic: 't', maxPendingMessages: 2.5 }),
    refusedAs('maxPendingMessages', '2.5'),
  );
  await assert.rejects(
    client.subscribe({ topic: 't', subscription: 's', priorityLevel: 0.5 }),
    refusedAs('priorityLevel', '0.5'),
  );
});

test('a blank producerName is refused before the broker hears of the producer', async (t) => {
  const broker: FakeBroker = await FakeBroker.start(
    (cmd, conn) => answerConsumerSetup(broker.url, cmd, conn) || answerProducerSetup(cmd, conn),
  );
  const client = clientOf(t, broker);
  for (const producerName of ['', '   ']) {
    await assert.rejects(
      client.createProducer({ topic: 't', producerName }),
      refusedAs('producerName', JSON.stringify(producerName)),
    );
  }
  assert.equal(broker.of(T.PRODUCER).length, 0);
  const named = await client.createProducer({ topic: 't', producerName: 'billing' });
  assert.equal(broker.of(T.PRODUCER)[0].producer!.producerName, 'billing');
  await named.close();
});
