import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { PulsarAdmin, PulsarAdminError } from '../../src/pulsar/admin/index.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

/** A real HTTP server on port 0 that records requests and answers from a table. */
async function fakeAdmin(
  t: { after(fn: () => void): void },
  answers: Record<string, [number, string]>,
) {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const [status, text] = answers[`${req.method} ${req.url}`] ?? [204, ''];
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  return { seen, url: `http://127.0.0.1:${port}` };
}

test('admin calls use the v2 paths, the token and exact 64-bit ids', async (t) => {
  const { seen, url } = await fakeAdmin(t, {
    'GET /admin/v2/persistent/public/default/orders/partitions': [200, '{"partitions":3}'],
    'GET /admin/v2/persistent/public/default/orders/partitioned-stats?perPartition=false': [
      200,
      '{"msgInCounter":7,"subscriptions":{"s":{"type":"Key_Shared","msgBacklog":4,"consumers":[{},{}]}}}',
    ],
  });
  const admin = new PulsarAdmin({ baseUrl: url + '/', token: 'tok' });
  await admin.setDeduplication('public/default', true);
  await admin.createPartitionedTopic('persistent://public/default/orders', 3);
  const stats = await admin.topicStats('orders');
  await admin.createSubscription('t/n/a b', 'sub/1', {
    ledgerId: 9007199254740993n,
    entryId: 5n,
  });
  await admin.skipMessages('x', 'dlq', 2);
  assert.deepEqual(stats.subscriptions, [
    { name: 's', type: 'Key_Shared', msgBacklog: 4, unackedMessages: 0, consumers: 2 },
  ]);
  assert.equal(stats.msgInCounter, 7);
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url} ${s.body}`),
    [
      'POST /admin/v2/namespaces/public/default/deduplication true',
      'PUT /admin/v2/persistent/public/default/orders/partitions 3',
      'GET /admin/v2/persistent/public/default/orders/partitions ',
      'GET /admin/v2/persistent/public/default/orders/partitioned-stats?perPartition=false ',
      'PUT /admin/v2/persistent/t/n/a%20b/subscription/sub%2F1 {"ledgerId":9007199254740993,"entryId":5,"partitionIndex":-1}',
      'POST /admin/v2/persistent/public/default/x/subscription/dlq/skip/2 ',
    ],
  );
  assert.ok(seen.every((s) => s.auth === 'Bearer tok'));
});

test('failures carry a stable code, the status and the broker reason', async (t) => {
  const { url } = await fakeAdmin(t, {
    'PUT /admin/v2/persistent/public/default/dup/partitions': [
      409,
      '{"reason":"This topic already exists"}',
    ],
    'GET /admin/v2/persistent/public/default/nope/internalStats': [404, 'gone'],
  });
  const admin = new PulsarAdmin({ baseUrl: url });
  await assert.rejects(admin.createPartitionedTopic('dup', 2), (err: unknown) => {
    assert.ok(err instanceof PulsarAdminError);
    assert.equal(err.code, 'Conflict');
    assert.equal(err.status, 409);
    assert.match(err.message, /already exists/);
    return true;
  });
  await assert.rejects(admin.internalStats('nope'), { code: 'NotFound', status: 404 });
});

test('an unreachable admin service is ConnectError, a silent one Timeout', async (t) => {
  const closed = new PulsarAdmin({ baseUrl: 'http://127.0.0.1:1' });
  await assert.rejects(closed.listTopics('public/default'), { code: 'ConnectError', status: 0 });
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => silent.closeAllConnections());
  t.after(() => silent.close());
  const port = (silent.address() as AddressInfo).port;
  const slow = new PulsarAdmin({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 });
  await assert.rejects(slow.listTopics('public/default'), { code: 'Timeout' });
});
