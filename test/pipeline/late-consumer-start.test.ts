import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BrokerError,
  createEmbeddedBroker,
  type Broker,
  type ConsumerConfig,
} from '../../src/broker/index.js';
import { ConnectingBroker } from '../../src/app/pipeline/connecting-broker.js';
import { eventually, startServiceUnderTest } from './service-harness.js';

test('consumers started once a late broker connects are tried again when a start fails', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-late-consumers-'));
  const real = await createEmbeddedBroker({ dataDir });
  // The first subscription times out, as one may while a cluster is still settling.
  let subscribes = 0;
  const flaky: Broker = Object.assign(Object.create(real) as Broker, {
    subscribe: (config: ConsumerConfig) =>
      ++subscribes === 1
        ? Promise.reject(new BrokerError('Timeout', 'subscribe timed out'))
        : real.subscribe(config),
  });
  let attempts = 0;
  const broker = await ConnectingBroker.start(
    'embedded',
    async () => {
      if (++attempts === 1) throw new BrokerError('NotConnected', 'not up yet');
      return flaky;
    },
    { backoff: { initialMs: 50, maxMs: 50, jitter: 0 } },
  );
  const s = await startServiceUnderTest(t, { broker }, {}, dataDir);
  const ready = await eventually(
    () => s.request('GET', '/readyz'),
    (r) => r.status === 200,
    10_000,
  );
  assert.equal(ready.body.checks['consumer:activity'].ok, true);
  assert.equal(ready.body.checks['consumer:recommendations'].ok, true);
  assert.ok(subscribes >= 3, `subscribes ${subscribes}`);
  const accepted = await s.request('POST', '/api/v1/events', { type: 'a', userId: 'late' });
  assert.equal(accepted.status, 202);
  await eventually(
    () => s.request('GET', '/api/v1/users/late/activity'),
    (r) => r.body.data.items.length === 1,
  );
});
