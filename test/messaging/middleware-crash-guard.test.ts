import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerMessageId, type ProducerMessage } from '../../src/broker/index.js';
import {
  compose,
  crashGuard,
  CrashLoopError,
  deadLetter,
  FAILURE_PROPERTIES,
  type DeliveryJournal,
  type DeliveryRef,
} from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

/** Counts begins and ends per delivery, as the SQLite journal does. */
function memoryJournal(failBegin = false) {
  const starts = new Map<string, number>();
  const log: string[] = [];
  const key = (r: DeliveryRef) => `${r.subscription}|${r.topic}|${r.messageId}`;
  const journal: DeliveryJournal = {
    async begin(r) {
      if (failBegin) throw new Error('database is locked');
      const n = (starts.get(key(r)) ?? 0) + 1;
      starts.set(key(r), n);
      log.push(`begin ${r.messageId}`);
      return n - 1;
    },
    end(r) {
      starts.delete(key(r));
      log.push(`end ${r.messageId}`);
    },
  };
  return { journal, starts, log };
}

test('crash-guard notes a run before the handler and removes the note after, success or failure', async () => {
  const { journal, starts, log } = memoryJournal();
  const msg = fakeMessage('x');
  const id = msg.getMessageId().toString();
  await crashGuard({ journal })(async () => {
    log.push('handler');
    assert.equal(starts.size, 1, 'noted while running');
  })(msg, fakeContext(msg));
  assert.deepEqual(log, [`begin ${id}`, 'handler', `end ${id}`]);
  await assert.rejects(
    crashGuard({ journal })(async () => {
      throw new Error('boom');
    })(msg, fakeContext(msg)),
    /boom/,
  );
  assert.equal(starts.size, 0);
  // Every run ended: the next one finds nothing unfinished.
  const next = { subscription: 'sub', topic: msg.getTopicName(), messageId: id };
  assert.equal(await journal.begin(next), 0);
});

test('crash-guard runs a message with fewer unfinished runs than maxCrashes and refuses it at maxCrashes', async () => {
  const { journal, starts } = memoryJournal();
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg, { subscription: 'activity' });
  const ref = {
    subscription: 'activity',
    topic: msg.getTopicName(),
    messageId: msg.getMessageId().toString(),
  };
  // Two runs started and never ended (the process died in them).
  await journal.begin(ref);
  await journal.begin(ref);
  let ran = 0;
  const guarded = crashGuard({ journal, maxCrashes: 3 })(async () => {
    ran++;
    throw new Error('the process would die here');
  });
  // Pretend the third run kills the process: its note stays.
  journal.end = () => undefined;
  await assert.rejects(guarded(msg, ctx), /would die/);
  assert.equal(ran, 1);
  await assert.rejects(guarded(msg, ctx), (err: unknown) => {
    assert.ok(err instanceof CrashLoopError);
    assert.equal(err.code, 'CRASH_LOOP');
    assert.equal(err.unfinishedRuns, 3);
    return true;
  });
  assert.equal(ran, 1, 'the handler is not run again');
  assert.equal(starts.get(`activity|${ref.topic}|${ref.messageId}`), 4, 'the note stays');
});

test('a refused message reaches the dead letters with CRASH_LOOP as its reason, without retries', async () => {
  const { journal } = memoryJournal();
  const msg = fakeMessage('x', { eventId: 'e1' });
  const ref = {
    subscription: 'sub',
    topic: msg.getTopicName(),
    messageId: msg.getMessageId().toString(),
  };
  await journal.begin(ref);
  const sent: ProducerMessage[] = [];
  const chain = compose(
    deadLetter({
      topic: 'dlq',
      sink: async (_topic, m) => {
        sent.push(m);
        return new BrokerMessageId(1n, 1n);
      },
    }),
    crashGuard({ journal, maxCrashes: 1 }),
  )(async () => assert.fail('must not run'));
  const ctx = fakeContext(msg);
  await chain(msg, ctx);
  assert.equal(ctx.outcome, 'dead-lettered');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].properties![FAILURE_PROPERTIES.errorCode], 'CRASH_LOOP');
  assert.match(sent[0].properties![FAILURE_PROPERTIES.error], /stopped 1 times/);
  assert.equal(sent[0].properties!.eventId, 'e1');
});

test('crash-guard runs the handler when the journal cannot be written', async () => {
  const { journal } = memoryJournal(true);
  const msg = fakeMessage('x');
  let ran = false;
  await crashGuard({ journal })(async () => {
    ran = true;
  })(msg, fakeContext(msg));
  assert.ok(ran);
});
