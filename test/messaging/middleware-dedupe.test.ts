import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dedupe, MemoryDedupeStore } from '../../src/messaging/index.js';
import { fakeMessage } from './fake-broker.js';
import { fakeContext } from './fake-context.js';

test('dedupe runs the handler once per event id and skips the rest', async () => {
  const store = new MemoryDedupeStore();
  let runs = 0;
  const h = dedupe({ store })(async () => {
    runs++;
  });
  const first = fakeMessage('x', { eventId: 'e1' });
  const second = fakeMessage('x', { eventId: 'e1' });
  await h(first, fakeContext(first));
  const ctx = fakeContext(second);
  await h(second, ctx);
  assert.equal(runs, 1);
  assert.equal(ctx.outcome, 'skipped');
});

test('dedupe does not remember a failed attempt', async () => {
  const store = new MemoryDedupeStore();
  let runs = 0;
  const h = dedupe({ store })(async () => {
    runs++;
    if (runs === 1) throw new Error('first fails');
  });
  const m = fakeMessage('x', { eventId: 'e2' });
  await assert.rejects(h(m, fakeContext(m)));
  await h(m, fakeContext(m));
  assert.equal(runs, 2);
});

test('dedupe is per subscription and ignores messages without an event id', async () => {
  const store = new MemoryDedupeStore();
  let runs = 0;
  const h = dedupe({ store })(async () => {
    runs++;
  });
  const m = fakeMessage('x', { eventId: 'e3' });
  await h(m, fakeContext(m, { subscription: 'a' }));
  await h(m, fakeContext(m, { subscription: 'b' }));
  const anon = fakeMessage('x');
  await h(anon, fakeContext(anon));
  await h(anon, fakeContext(anon));
  assert.equal(runs, 4);
});

test('the memory store forgets the oldest keys beyond its capacity', () => {
  const store = new MemoryDedupeStore(2);
  store.add('s', 'a');
  store.add('s', 'b');
  store.add('s', 'c');
  assert.equal(store.has('s', 'a'), false);
  assert.equal(store.has('s', 'c'), true);
  assert.equal(store.size, 2);
});

test('a copy arriving while the first is handled waits for it and is skipped', async () => {
  const store = new MemoryDedupeStore();
  let runs = 0;
  let failNext = false;
  const h = dedupe({ store })(async () => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
    if (failNext) {
      failNext = false;
      throw new Error('failed');
    }
  });
  const copies = [1, 2, 3].map(() => fakeMessage('x', { eventId: 'e9' }));
  const ctxs = copies.map((m) => fakeContext(m));
  await Promise.all(copies.map((m, i) => h(m, ctxs[i])));
  assert.equal(runs, 1);
  assert.deepEqual(
    ctxs.map((c) => c.outcome),
    [undefined, 'skipped', 'skipped'],
  );
  // When the first copy fails, the waiting one runs.
  failNext = true;
  const [a, b] = [1, 2].map(() => fakeMessage('x', { eventId: 'e10' }));
  const results = await Promise.allSettled([h(a, fakeContext(a)), h(b, fakeContext(b))]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'fulfilled'],
  );
  assert.equal(runs, 3);
});
