import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunGate } from '../../src/messaging/run-gate.js';

const never = new AbortController().signal;
const turn = () => new Promise((r) => setImmediate(r));

test('shared runs enter at once; a solo run waits for them and holds new ones back', async () => {
  const gate = new RunGate();
  assert.equal(gate.enterShared(never), undefined);
  assert.equal(gate.enterShared(never), undefined);
  const log: string[] = [];
  void gate.enterSolo(never).then((ok) => log.push(`solo ${ok}`));
  const late = gate.enterShared(never);
  assert.ok(late, 'a shared run arriving while a solo one waits has to wait');
  void late.then((ok) => log.push(`late ${ok}`));
  gate.leaveShared();
  await turn();
  assert.deepEqual(log, []);
  gate.leaveShared();
  await turn();
  assert.deepEqual(log, ['solo true']);
  gate.leaveSolo();
  await turn();
  assert.deepEqual(log, ['solo true', 'late true']);
  gate.leaveShared();
  assert.equal(gate.enterShared(never), undefined);
});

test('solo runs go one at a time', async () => {
  const gate = new RunGate();
  const log: string[] = [];
  const first = gate.enterSolo(never).then(() => log.push('first'));
  const second = gate.enterSolo(never).then(() => log.push('second'));
  await first;
  await turn();
  assert.deepEqual(log, ['first']);
  gate.leaveSolo();
  await second;
  assert.deepEqual(log, ['first', 'second']);
});

test('an abort while waiting gives up the wait and lets the others on', async () => {
  const gate = new RunGate();
  gate.enterShared(never);
  const stop = new AbortController();
  const solo = gate.enterSolo(stop.signal);
  const shared = gate.enterShared(never)!;
  stop.abort();
  assert.equal(await solo, false);
  assert.equal(await shared, true, 'no longer held back by the solo run that left');
  assert.equal(await gate.enterSolo(stop.signal), false, 'already aborted');
});

test('waiters sharing one signal (a drain deadline): its abort admits none of them', async () => {
  const gate = new RunGate();
  gate.enterShared(never); // a run that goes on past the deadline
  const deadline = new AbortController();
  const solo = gate.enterSolo(deadline.signal);
  const queued = [gate.enterShared(deadline.signal)!, gate.enterShared(deadline.signal)!];
  deadline.abort();
  assert.deepEqual(await Promise.all([solo, ...queued]), [false, false, false]);
  gate.leaveShared();
  assert.equal(gate.enterShared(never), undefined, 'nothing left held');
});
