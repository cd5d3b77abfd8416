import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from '../app/app-harness.js';
import { ROUTES, type RouteModule } from '../../src/app/routes/index.js';

function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

test('a lagging event loop sheds load with a 503 OVERLOADED envelope, then recovers', async (t) => {
  const h = await startHarness(t, { env: { MAGNETAR_MAX_EVENT_LOOP_DELAY_MS: '200' } });
  assert.equal((await h.app.inject({ url: '/api/v1/users' })).statusCode, 200);
  // Block the loop the way a runaway synchronous handler would. Shedding is armed two sample
  // intervals after the start; the lag outlasts that, so its sample counts.
  busyFor(2500);
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

test('a start that holds the event loop up does not shed the first requests', async (t) => {
  // Compiling many routes' schemas holds the loop up the same way, after load shedding began
  // to measure it and before the server is ready.
  const slowToRegister: RouteModule = () => busyFor(1500);
  const h = await startHarness(t, {
    env: { MAGNETAR_MAX_EVENT_LOOP_DELAY_MS: '200' },
    routes: [...ROUTES, slowToRegister],
  });
  // Right away, while the sample covering the start is the one in effect, and for a while on.
  for (let i = 0; i < 15; i++) {
    const res = await h.app.inject({ url: '/api/v1/users' });
    assert.equal(res.statusCode, 200, res.body);
    await sleep(100);
  }
});
