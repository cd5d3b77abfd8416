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
import { RunGate } from '../../src/messaging/run-gate.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

/** Counts runs per delivery as the SQLite journal does; `crash()` forgets nothing. */
function memoryJournal(failBegin = false) {
  const notes = new Map<string, { starts: number; alone: number }>();
  const log: string[] = [];
  const key = (r: DeliveryRef) => `${r.subscription}|${r.topic}|${r.messageId}|${r.publishTime}`;
  const journal: DeliveryJournal = {
    async begin(r) {
      if (failBegin) throw new Error('database is locked');
      const note = notes.get(key(r)) ?? { starts: 0, alone: 0 };
      note.starts++;
      notes.set(key(r), note);
      log.push(`begin ${r.messageId}`);
      return { unfinished: note.starts - 1, unfinishedAlone: note.alone };
    },
    async beginAlone(r) {
      notes.get(key(r))!.alone++;
      log.push(`alone ${r.messageId}`);
    },
    end(r) {
      notes.delete(key(r));
      log.push(`end ${r.messageId}`);
    },
  };
  return { journal, notes, log, key };
}

const refOf = (msg: ReturnType<typeof fakeMessage>, subscription = 'sub'): DeliveryRef => ({
  subscription,
  topic: msg.getTopicName(),
  messageId: msg.getMessageId().toString(),
  publishTime: msg.getPublishTimestamp(),
});

test('crash-guard notes a run before the handler and removes the note after, success or failure', async () => {
  const { journal, notes, log } = memoryJournal();
  const msg = fakeMessage('x');
  const id = msg.getMessageId().toString();
  await crashGuard({ journal })(async () => {
    log.push('handler');
    assert.equal(notes.size, 1, 'noted while running');
  })(msg, fakeContext(msg));
  assert.deepEqual(log, [`begin ${id}`, 'handler', `end ${id}`]);
  await assert.rejects(
    crashGuard({ journal })(async () => {
      throw new Error('boom');
    })(msg, fakeContext(msg)),
    /boom/,
  );
  assert.equal(notes.size, 0);
});

test('a message in flight when the process died runs again alone: other runs wait for it', async () => {
  const { journal, notes, key } = memoryJournal();
  const suspect = fakeMessage('suspect');
  await journal.begin(refOf(suspect)); // the run the process died in
  const guard = crashGuard({ journal, gate: new RunGate() });
  const order: string[] = [];
  let release!: () => void;
  const running = new Promise<void>((r) => (release = r));
  // A run already going when the suspect arrives: the suspect waits for it.
  const before = guard(async () => {
    order.push('before start');
    await running;
    order.push('before end');
  })(fakeMessage('before'), fakeContext(fakeMessage('before')));
  await new Promise((r) => setImmediate(r));
  const lone = guard(async () => {
    order.push('suspect start');
    assert.equal(notes.get(key(refOf(suspect)))!.alone, 1, 'noted as alone before it runs');
    await new Promise((r) => setTimeout(r, 20));
    order.push('suspect end');
  })(suspect, fakeContext(suspect));
  await new Promise((r) => setImmediate(r));
  // A run arriving while the suspect waits goes after it.
  const after = guard(async () => {
    order.push('after');
  })(fakeMessage('after'), fakeContext(fakeMessage('after')));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, ['before start']);
  release();
  await Promise.all([before, lone, after]);
  assert.deepEqual(order, ['before start', 'before end', 'suspect start', 'suspect end', 'after']);
  assert.equal(notes.size, 0);
});

test('only lone runs count: refused at maxCrashes of them, whatever ran beside it before', async () => {
  const { journal, notes, key } = memoryJournal();
  const msg = fakeMessage('x');
  const ctx = fakeContext(msg, { subscription: 'activity' });
  const ref = refOf(msg, 'activity');
  // Five crashes with other handlers beside it, two while it ran alone.
  for (let i = 0; i < 5; i++) await journal.begin(ref);
  notes.get(key(ref))!.alone = 2;
  let ran = 0;
  const guarded = crashGuard({ journal, maxCrashes: 3 })(async () => {
    ran++;
    // The third lone run: the process dies here, the note stays.
    journal.end = () => undefined;
  });
  await guarded(msg, ctx);
  assert.equal(ran, 1);
  await assert.rejects(guarded(msg, ctx), (err: unknown) => {
    assert.ok(err instanceof CrashLoopError);
    assert.equal(err.code, 'CRASH_LOOP');
    assert.equal(err.unfinishedRuns, 3);
    return true;
  });
  assert.equal(ran, 1, 'not run again');
  assert.equal(notes.get(key(ref))!.alone, 3, 'the note stays');
});

test('a refused message reaches the dead letters with CRASH_LOOP as its reason, without retries', async () => {
  const { journal, notes, key } = memoryJournal();
  const msg = fakeMessage('x', { eventId: 'e1' });
  await journal.begin(refOf(msg));
  notes.get(key(refOf(msg)))!.alone = 1;
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

test('a message with the same id but another publish time is another message', async () => {
  const { journal } = memoryJournal();
  const old = fakeMessage('x', {}, { publishTime: 1000 });
  await journal.begin(refOf(old));
  const reborn = fakeMessage(
    'y',
    {},
    { id: old.getMessageId() as BrokerMessageId, publishTime: 2000 },
  );
  assert.equal((await journal.begin(refOf(reborn))).unfinished, 0);
});

test('shutdown while waiting to run alone: not run, nacked, the note kept', async () => {
  const { journal, notes } = memoryJournal();
  const guard = crashGuard({ journal, gate: new RunGate() });
  let release!: () => void;
  const busy = guard(() => new Promise<void>((r) => (release = r)))(
    fakeMessage('busy'),
    fakeContext(fakeMessage('busy')),
  );
  await new Promise((r) => setImmediate(r));
  const suspect = fakeMessage('suspect');
  await journal.begin(refOf(suspect));
  const abort = new AbortController();
  const ctx = fakeContext(suspect, { signal: abort.signal });
  const waiting = guard(async () => assert.fail('must not run'))(suspect, ctx);
  await new Promise((r) => setImmediate(r));
  abort.abort();
  await waiting;
  assert.equal(ctx.outcome, 'nacked');
  assert.equal(notes.size, 2, 'the suspect keeps its note');
  release();
  await busy;
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

test('consumers with journals of their own share the process gate: a suspect waits for the other consumer', async () => {
  const orders = memoryJournal();
  const emails = memoryJournal();
  const log: string[] = [];
  let release!: () => void;
  const running = crashGuard({ journal: orders.journal })(() =>
    new Promise<void>((r) => (release = r)).then(() => void log.push('orders end')),
  )(fakeMessage('order'), fakeContext(fakeMessage('order')));
  await new Promise((r) => setImmediate(r));
  const suspect = fakeMessage('welcome-mail');
  await emails.journal.begin(refOf(suspect));
  const lone = crashGuard({ journal: emails.journal })(async () => {
    log.push('suspect runs');
  })(suspect, fakeContext(suspect));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, [], 'not alone while the other consumer runs');
  release();
  await Promise.all([running, lone]);
  assert.deepEqual(log, ['orders end', 'suspect runs']);
});
