import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineList } from '../../src/messaging/deadline-list.js';

test('entries expire in the order they were added, each once, at their deadline', async () => {
  const list = new DeadlineList(30);
  const expired: string[] = [];
  const started = performance.now();
  const times: number[] = [];
  const record = (name: string) => () => {
    expired.push(name);
    times.push(performance.now() - started);
  };
  list.add(record('a'));
  await new Promise((r) => setTimeout(r, 10));
  list.add(record('b'));
  list.add(record('c'));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(expired, ['a', 'b', 'c']);
  assert.ok(times[0] >= 29, `a expired after ${times[0]} ms`);
  assert.ok(times[1] >= 39, `b expired after ${times[1]} ms`);
  assert.equal(list.size, 0);
});

test('a removed entry never expires, and removing the head keeps the others on time', async () => {
  const list = new DeadlineList(20);
  const expired: string[] = [];
  const a = list.add(() => expired.push('a'));
  const b = list.add(() => expired.push('b'));
  list.add(() => expired.push('c'));
  list.remove(a);
  list.remove(b);
  list.remove(b);
  assert.equal(list.size, 1);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(expired, ['c']);
});

test('an emptied list holds no timer, so it never keeps the process alive', async () => {
  const list = new DeadlineList(60_000);
  const entries = Array.from({ length: 1000 }, () => list.add(() => assert.fail('expired')));
  for (const e of entries) list.remove(e);
  assert.equal(list.size, 0);
  // node:test would wait for a pending 60 s timer before ending this file.
  assert.equal(
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    0,
    'a timer is still armed',
  );
});
