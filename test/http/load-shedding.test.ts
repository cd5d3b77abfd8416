import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from '../app/app-harness.js';

test('a lagging event loop sheds load with a 503 OVERLOADED envelope, then recovers', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_MAX_EVENT_LOOP_DELAY_MS: '200' } });
  assert.equal((await h.app.inject({ url: '/api/v1/users' })).statusCode, 200);
  // Block the loop the way a runaway synchronous handler would.
  const until = Date.now() + 1500;
  while (Date.now() < until) {
    // busy
  }
  let shed;
  for (let i = 0; i < 30 && !shed; i++) {
    const res = await h.app.inject({ url: '/api/v1/users' });
    if (res.statusCode === 503) shed = res;
    else await sleep(100);
  }
  assert.ok(shed, 'a request was shed');
  assert.deepEqual(shed.json(), { code: 50304, message: 'Server is overloaded', data: null });
  assert.ok(shed.headers['retry-after']);
  // Liveness and metrics are never shed: a failed liveness probe would restart a busy process.
  assert.equal((await h.app.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await h.app.inject({ url: '/metrics' })).statusCode, 200);
  // Readiness is shed (out of rotation while overloaded), with the same envelope.
  const ready = await h.app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.json().code, 50304);
  assert.equal((await h.app.inject({ url: '/api/v1/users' })).statusCode, 503, 'still shedding');
  let recovered = false;
  for (let i = 0; i < 40 && !recovered; i++) {
    await sleep(100);
    recovered = (await h.app.inject({ url: '/api/v1/users' })).statusCode === 200;
  }
  assert.ok(recovered, 'the service answers again once the loop catches up');
});
