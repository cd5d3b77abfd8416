import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedScheduler } from '../../src/messaging/keyed-scheduler.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('tasks of one key run one at a time, in order; other keys run alongside', async () => {
  const s = new KeyedScheduler(4, 100);
  const log: string[] = [];
  let activeA = 0;
  let maxActiveA = 0;
  for (let i = 0; i < 5; i++) {
    s.submit('a', async () => {
      activeA++;
      maxActiveA = Math.max(maxActiveA, activeA);
      await tick(Math.random() * 5);
      log.push(`a${i}`);
      activeA--;
    });
    s.submit('b', async () => {
      await tick(Math.random() * 5);
      log.push(`b${i}`);
    });
  }
  await s.whenIdle();
  assert.equal(maxActiveA, 1);
  assert.deepEqual(
    log.filter((x) => x.startsWith('a')),
    ['a0', 'a1', 'a2', 'a3', 'a4'],
  );
  assert.deepEqual(
    log.filter((x) => x.startsWith('b')),
    ['b0', 'b1', 'b2', 'b3', 'b4'],
  );
});

test('concurrency is bounded across keys', async () => {
  const s = new KeyedScheduler(3, 100);
  let active = 0;
  let peak = 0;
  for (let i = 0; i < 20; i++)
    s.submit(i % 2 === 0 ? undefined : `k${i}`, async () => {
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    });
  assert.equal(s.active, 3);
  await s.whenIdle();
  assert.equal(peak, 3);
  assert.equal(s.pending, 0);
});

test('whenRoom waits while pending is at the bound', async () => {
  const s = new KeyedScheduler(1, 2);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  s.submit('x', () => gate);
  s.submit('x', async () => {});
  let room = false;
  void s.whenRoom().then(() => (room = true));
  await tick();
  assert.equal(room, false);
  release();
  await tick();
  assert.equal(room, true);
});

test('a failing task does not stop the queue of its key', async () => {
  const s = new KeyedScheduler(2);
  const log: number[] = [];
  s.submit('k', async () => {
    throw new Error('x');
  });
  s.submit('k', async () => {
    log.push(2);
  });
  await s.whenIdle();
  assert.deepEqual(log, [2]);
});
