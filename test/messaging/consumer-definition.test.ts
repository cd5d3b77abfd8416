import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineConsumer, RetryLaterError } from '../../src/messaging/index.js';

const base = { topic: 'user-events', subscription: 's', handler: async () => undefined };

test('timeoutMs: Infinity means no limit; what a timer cannot wait for is refused', () => {
  assert.equal(defineConsumer(base).timeoutMs, 30_000);
  assert.equal(defineConsumer({ ...base, timeoutMs: 0 }).timeoutMs, 0);
  assert.equal(defineConsumer({ ...base, timeoutMs: Infinity }).timeoutMs, 0);
  assert.equal(defineConsumer({ ...base, timeoutMs: 2 ** 31 - 1 }).timeoutMs, 2 ** 31 - 1);
  for (const bad of [2 ** 31, -1, 1.5, NaN])
    assert.throws(() => defineConsumer({ ...base, timeoutMs: bad }), RangeError, String(bad));
});

test('concurrency is an integer from 1 to 10,000', () => {
  assert.equal(defineConsumer(base).concurrency, 8);
  assert.equal(defineConsumer({ ...base, concurrency: 1 }).concurrency, 1);
  assert.equal(defineConsumer({ ...base, concurrency: 10_000 }).concurrency, 10_000);
  for (const bad of [0, -1, 1.5, NaN, Infinity, 10_001, 2 ** 32])
    assert.throws(() => defineConsumer({ ...base, concurrency: bad }), {
      name: 'RangeError',
      message: /consumer s: concurrency must be an integer from 1 to 10000/,
    });
});

test('RetryLaterError takes a finite delay >= 0 only', () => {
  assert.equal(new RetryLaterError(1500.7).delayMs, 1500);
  assert.equal(new RetryLaterError(0).delayMs, 0);
  for (const bad of [NaN, Infinity, -1])
    assert.throws(() => new RetryLaterError(bad), RangeError, String(bad));
});

type Input = Parameters<typeof defineConsumer>[0];
/** Input as JavaScript callers or a bad config can pass it, past the type checker. */
const loose = (over: Record<string, unknown>) => ({ ...base, ...over }) as unknown as Input;

test('a missing or non-function handler is a TypeError naming it', () => {
  for (const handler of [undefined, 'x', 42, {}])
    assert.throws(() => defineConsumer(loose({ handler })), {
      name: 'TypeError',
      message: /consumer s: handler must be a function/,
    });
});

test('an unknown subscription type is refused at definition, not at start', () => {
  for (const type of ['Bogus', 'keyshared', 'Key_Shared', 1])
    assert.throws(() => defineConsumer(loose({ type })), {
      name: 'RangeError',
      message: /consumer s: type must be one of KeyShared, Shared, Exclusive, Failover/,
    });
  assert.equal(defineConsumer({ ...base, type: 'Shared' }).type, 'Shared');
});

test('backoff options must be numbers backoffDelay can use', () => {
  const bad: Array<[string, number | string]> = [
    ['initialMs', NaN],
    ['initialMs', -100],
    ['initialMs', Infinity],
    ['initialMs', '100'],
    ['maxMs', NaN],
    ['maxMs', -1],
    ['maxMs', Infinity],
    ['multiplier', NaN],
    ['multiplier', -2],
    ['multiplier', 0.5],
    ['multiplier', Infinity],
    ['jitter', 5],
    ['jitter', -0.1],
    ['jitter', NaN],
  ];
  for (const [key, value] of bad)
    assert.throws(
      () => defineConsumer(loose({ retry: { maxAttempts: 3, backoff: { [key]: value } } })),
      { name: 'RangeError', message: new RegExp(`consumer s: retry\\.backoff\\.${key} must be`) },
      `${key}=${String(value)}`,
    );
  const backoff = { initialMs: 0, maxMs: 10, multiplier: 1, jitter: 1 };
  assert.deepEqual(
    defineConsumer({ ...base, retry: { maxAttempts: 2, backoff } }).backoff,
    backoff,
  );
});

test('a missing topic or one the broker would refuse or read as another is a TypeError', () => {
  for (const topic of [
    undefined,
    42,
    '',
    'a/b',
    'persistent://x',
    'persistent://a/b',
    '../../etc',
    'public/default/..',
    'my tenant/default/t',
    'public/default/a\u0000b',
  ])
    assert.throws(
      () => defineConsumer(loose({ topic })),
      { name: 'TypeError', message: /consumer s: topic must be a topic name/ },
      String(topic),
    );
  assert.throws(() => defineConsumer(loose({ topic: 'non-persistent://public/default/np' })), {
    name: 'RangeError',
    message: /consumer s: topic must be a persistent topic/,
  });
  for (const [topic, full] of [
    ['t', 'persistent://public/default/t'],
    ['acme/orders/t', 'persistent://acme/orders/t'],
    ['persistent://acme/orders/t', 'persistent://acme/orders/t'],
  ])
    assert.equal(defineConsumer({ ...base, topic }).topic, full);
  assert.throws(() => defineConsumer(loose({ deadLetter: { topic: 'persistent://x' } })), {
    name: 'TypeError',
    message: /consumer s: deadLetter\.topic must be a topic name/,
  });
  assert.equal(
    defineConsumer({ ...base, deadLetter: { topic: 'acme/ops/dead' } }).deadLetterTopic,
    'persistent://acme/ops/dead',
  );
});

test('a subscription that cannot be part of the retry and dead-letter topic names is refused', () => {
  for (const subscription of [undefined, '', 'a/b', 'a\u0000b', 7])
    assert.throws(
      () => defineConsumer(loose({ subscription })),
      { name: 'TypeError', message: /defineConsumer: subscription must be a non-empty string/ },
      String(subscription),
    );
  assert.equal(
    defineConsumer({ ...base, subscription: 'billing.v2' }).deadLetterTopic,
    'persistent://public/default/user-events-billing.v2-DLQ',
  );
});

test('Exclusive and Failover subscriptions cannot retry: their retries would ignore every delay', () => {
  for (const type of ['Exclusive', 'Failover'] as const) {
    assert.throws(() => defineConsumer({ ...base, type }), {
      name: 'RangeError',
      message: new RegExp(
        `consumer s: a ${type} subscription cannot retry \\(retry.maxAttempts is 5\\).*only on Shared and KeyShared.*retry.maxAttempts: 1`,
      ),
    });
    assert.throws(() => defineConsumer({ ...base, type, retry: { maxAttempts: 2 } }), RangeError);
    const def = defineConsumer({ ...base, type, retry: { maxAttempts: 1 } });
    assert.equal(def.type, type);
    assert.equal(def.maxAttempts, 1);
  }
  for (const type of ['Shared', 'KeyShared'] as const)
    assert.equal(defineConsumer({ ...base, type }).maxAttempts, 5);
});

test('the other options are checked for their shape', () => {
  assert.throws(() => defineConsumer(loose({ initialPosition: 'Oldest' })), {
    name: 'RangeError',
    message: /consumer s: initialPosition must be one of Earliest, Latest/,
  });
  assert.throws(() => defineConsumer(loose({ dedupe: {} })), {
    name: 'TypeError',
    message: /consumer s: dedupe must be false or a DedupeStore/,
  });
  assert.equal(defineConsumer(loose({ dedupe: null })).dedupe, false, 'null is "no dedupe"');
  assert.throws(() => defineConsumer(loose({ middleware: [1] })), {
    name: 'TypeError',
    message: /consumer s: middleware must be an array of functions/,
  });
  assert.throws(() => defineConsumer(loose({ retry: 5 })), {
    name: 'TypeError',
    message: /consumer s: retry must be an object/,
  });
  assert.throws(() => defineConsumer(loose({ name: '' })), {
    name: 'TypeError',
    message: /consumer s: name must be a non-empty string/,
  });
});

test('a misspelt option, a missing argument or an array for an object is refused', () => {
  assert.throws(() => defineConsumer(undefined as never), {
    name: 'TypeError',
    message: /defineConsumer: its argument must be an object/,
  });
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ concurency: 4 }, /consumer s: defineConsumer has no option "concurency"/],
    [{ retry: { attempts: 3 } }, /consumer s: retry has no option "attempts"/],
    [{ retry: { backoff: { initial: 5 } } }, /consumer s: retry.backoff has no option "initial"/],
    [{ deadLetter: { name: 'x' } }, /consumer s: deadLetter has no option "name"/],
    [{ retry: [] }, /consumer s: retry must be an object/],
    [{ retry: { backoff: [] } }, /consumer s: retry.backoff must be an object/],
  ];
  for (const [extra, message] of cases)
    assert.throws(() => defineConsumer(loose(extra)), { name: 'TypeError', message });
});

test('a dead-letter topic that is the consumed topic or its retry topic is refused', () => {
  for (const topic of ['user-events', 'persistent://public/default/user-events-s-RETRY'])
    assert.throws(() => defineConsumer({ ...base, deadLetter: { topic } }), {
      name: 'RangeError',
      message: /deadLetter.topic must not be the topic it consumes or its retry topic/,
    });
  assert.equal(
    defineConsumer({ ...base, deadLetter: { topic: 'user-events-dead' } }).deadLetterTopic,
    'persistent://public/default/user-events-dead',
  );
});

test('maxCrashes is an integer >= 1, default 3', () => {
  assert.equal(defineConsumer(base).maxCrashes, 3);
  assert.equal(defineConsumer({ ...base, maxCrashes: 1 }).maxCrashes, 1);
  for (const bad of [0, -1, 1.5, NaN, Infinity, '3'])
    assert.throws(
      () => defineConsumer({ ...base, maxCrashes: bad as number }),
      { name: 'RangeError', message: /consumer s: maxCrashes must be an integer >= 1/ },
      String(bad),
    );
});
