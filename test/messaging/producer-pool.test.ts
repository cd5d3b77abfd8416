import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerError, type Producer } from '../../src/broker/index.js';
import { ProducerPool, Publisher, PublishRejectedError } from '../../src/messaging/index.js';
import { FakeBroker } from './fake-broker.js';

const TOPIC = 'persistent://public/default/t';

/** A FakeBroker whose producers the "broker" can close for good, and refuse to make. */
function brokerClosingProducers() {
  const broker = new FakeBroker();
  const made: Array<Producer & { goneFor?: BrokerError; closes: number }> = [];
  let refusal: BrokerError | undefined;
  const create = broker.createProducer.bind(broker);
  broker.createProducer = async (config) => {
    if (refusal) throw refusal;
    const real = await create(config);
    const p = {
      ...real,
      closes: 0,
      goneFor: undefined as BrokerError | undefined,
      send: (m: Parameters<Producer['send']>[0]) =>
        p.goneFor ? Promise.reject(p.goneFor) : real.send(m),
      close: async () => void p.closes++,
      isClosed: () => p.goneFor !== undefined || p.closes > 0,
    };
    made.push(p);
    return p;
  };
  return {
    broker,
    made,
    /** The broker closes every producer made so far for good, and refuses new ones. */
    deleteTopic(err = new BrokerError('TopicNotFound', 'TopicNotFound: topic does not exist')) {
      for (const p of made) p.goneFor = err;
      refusal = err;
    },
    recreateTopic() {
      refusal = undefined;
    },
  };
}

test('a producer the broker closed for good is dropped, closed and made again on the next get', async () => {
  const { broker, made, deleteTopic, recreateTopic } = brokerClosingProducers();
  const pool = new ProducerPool(broker);
  const first = await pool.get(TOPIC);
  assert.equal(pool.ready(TOPIC), first);
  deleteTopic();
  assert.equal(pool.ready(TOPIC), undefined, 'no closed producer on the hot path');
  assert.equal(made[0].closes, 1, 'closed when dropped');
  // While the topic is missing every get tries again, and fails.
  await assert.rejects(pool.get(TOPIC), (e) => e instanceof BrokerError);
  await assert.rejects(pool.get(TOPIC), (e) => e instanceof BrokerError);
  recreateTopic();
  const second = await pool.get(TOPIC);
  assert.notEqual(second, first);
  assert.equal(pool.ready(TOPIC), second);
  assert.deepEqual(pool.topics(), [TOPIC]);
  await pool.close();
  assert.equal(made[0].closes, 1, 'a dropped producer is not closed twice by the pool');
  assert.equal(made[1].closes, 1);
});

test('a producer closed by someone else is made again too', async () => {
  const { broker } = brokerClosingProducers();
  const pool = new ProducerPool(broker);
  const first = await pool.get(TOPIC);
  await first.close();
  const second = await pool.get(TOPIC);
  assert.notEqual(second, first);
  assert.equal(second.isClosed(), false);
});

test('a publisher refuses with BROKER_UNAVAILABLE while the topic is gone, and publishes once it is back', async () => {
  const { broker, made, deleteTopic, recreateTopic } = brokerClosingProducers();
  const pub = new Publisher(broker);
  await pub.publish(TOPIC, { data: Buffer.from('a') });
  deleteTopic();
  for (let i = 0; i < 2; i++)
    await assert.rejects(
      pub.publish(TOPIC, { data: Buffer.from('x') }),
      (e) =>
        e instanceof PublishRejectedError &&
        e.code === 'BROKER_UNAVAILABLE' &&
        e.cause instanceof BrokerError &&
        e.cause.code === 'TopicNotFound',
    );
  recreateTopic();
  await pub.publish(TOPIC, { data: Buffer.from('b') });
  await pub.publishMany(TOPIC, [{ data: Buffer.from('c') }, { data: Buffer.from('d') }]);
  assert.equal(made.length, 2, 'one new producer once the topic is back');
});
