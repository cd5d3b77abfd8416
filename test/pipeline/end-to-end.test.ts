import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startServiceUnderTest } from './service-harness.js';
import { request as httpRequest } from 'node:http';

test('events accepted with 202 appear in activity exactly once, over a real socket', async (t) => {
  const s = await startServiceUnderTest(t);
  const accepted: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await s.request('POST', '/api/v1/events', {
      type: 'item.viewed',
      userId: 'alice',
      itemId: `item-${i % 5}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.code, 0);
    assert.match(res.body.data.eventId, /^[0-9a-f-]{36}$/);
    assert.match(res.body.data.messageId, /^\d+:\d+:-1/);
    accepted.push(res.body.data.eventId);
  }
  const batch = await s.request('POST', '/api/v1/events/batch', {
    events: Array.from({ length: 30 }, (_, i) => ({
      type: 'item.liked',
      userId: 'alice',
      itemId: `b${i}`,
    })),
  });
  assert.equal(batch.status, 202);
  assert.equal(batch.body.data.items.length, 30);
  accepted.push(...batch.body.data.items.map((x: { eventId: string }) => x.eventId));

  const page = await eventually(
    () => s.request('GET', '/api/v1/users/alice/activity?limit=500'),
    (r) => r.body.data.items.length >= accepted.length,
  );
  const ids = page.body.data.items.map((x: { eventId: string }) => x.eventId);
  assert.equal(ids.length, accepted.length);
  assert.deepEqual([...ids].sort(), [...accepted].sort());
  const times = page.body.data.items.map((x: { occurredAt: string }) => x.occurredAt);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  // Nothing arrives twice later either.
  await new Promise((r) => setTimeout(r, 300));
  const again = await s.request('GET', '/api/v1/users/alice/activity?limit=500');
  assert.equal(again.body.data.items.length, accepted.length);
});

test('reading a user publishes user.viewed without waiting; it reaches activity', async (t) => {
  const s = await startServiceUnderTest(t);
  const created = await s.request('POST', '/api/v1/users', {
    name: 'Bob',
    email: 'bob@example.com',
    age: 30,
  });
  assert.equal(created.status, 201);
  const id = created.body.data.id;
  assert.equal((await s.request('GET', `/api/v1/users/${id}`)).status, 200);
  const page = await eventually(
    () => s.request('GET', `/api/v1/users/${id}/activity`),
    (r) => r.body.data.items.length === 1,
  );
  assert.equal(page.body.data.items[0].type, 'user.viewed');
});

test('recommendations: co-viewed items first, popular items as fallback', async (t) => {
  const s = await startServiceUnderTest(t);
  const views: Array<[string, string]> = [
    ['u1', 'camera'],
    ['u2', 'camera'],
    ['u2', 'tripod'],
    ['u3', 'camera'],
    ['u3', 'tripod'],
    ['u3', 'lens'],
    ['u4', 'novel'],
    ['u5', 'novel'],
    ['u6', 'novel'],
    ['u6', 'lamp'],
  ];
  const res = await s.request('POST', '/api/v1/events/batch', {
    events: views.map(([userId, itemId]) => ({ type: 'item.viewed', userId, itemId })),
  });
  assert.equal(res.status, 202);
  // Consumers record the batch a few events at a time: wait for the ranking of all of them
  // (an earlier read may already hold three items, from only part of the views).
  const expected = ['tripod:co-viewed', 'lens:co-viewed', 'novel:popular'];
  const ranked = (r: { body: { data: { items: Array<{ itemId: string; reason: string }> } } }) =>
    r.body.data.items.map((i) => `${i.itemId}:${i.reason}`);
  const recs = await eventually(
    () => s.request('GET', '/api/v1/users/u1/recommendations?limit=3'),
    (r) => ranked(r).join() === expected.join(),
  );
  assert.deepEqual(ranked(recs), expected);
  const fresh = await s.request('GET', '/api/v1/users/newcomer/recommendations?limit=2');
  assert.deepEqual(
    fresh.body.data.items.map((i: { itemId: string }) => i.itemId),
    ['camera', 'novel'],
  );
});

test('Idempotency-Key: same key and body get the first answer; another body is 409', async (t) => {
  const s = await startServiceUnderTest(t);
  const body = { type: 'item.viewed', userId: 'carol', itemId: 'x' };
  const key = { 'idempotency-key': 'k-123' };
  const [a, b] = await Promise.all([
    s.request('POST', '/api/v1/events', body, key),
    s.request('POST', '/api/v1/events', body, key),
  ]);
  assert.equal(a.status, 202);
  assert.equal(b.status, 202);
  assert.deepEqual(a.body, b.body);
  const c = await s.request('POST', '/api/v1/events', body, key);
  assert.deepEqual(c.body, a.body);
  assert.equal(c.headers.get('idempotent-replayed'), 'true');
  const d = await s.request('POST', '/api/v1/events', { ...body, itemId: 'y' }, key);
  assert.equal(d.status, 409);
  assert.equal(d.body.code, 40902);
  // The same value with its keys in another order is the same body.
  const e = await s.request(
    'POST',
    '/api/v1/events',
    { itemId: 'x', userId: 'carol', type: 'item.viewed' },
    key,
  );
  assert.equal(e.status, 202);
  assert.deepEqual(e.body, a.body);
  // Keys are printable ASCII: a latin1 byte would be counted as one character, UTF-8 as two.
  for (const bad of ['é', 'tab\tkey', 'x'.repeat(201)]) {
    const f = await s.request('POST', '/api/v1/events', body, { 'idempotency-key': bad });
    assert.equal(f.status, 400, bad);
    assert.equal(f.body.data.errors[0].field, 'Idempotency-Key');
  }
  // Two keys on one request are refused; Node would join them into a third key, "k-1, k-2".
  const twice = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${s.url}/api/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${s.token(['events:write'])}`,
        'content-type': 'application/json',
        'idempotency-key': ['k-1', 'k-2'],
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  assert.equal(twice.status, 400, twice.body);
  assert.match(twice.body, /"field":"Idempotency-Key","message":"must be sent once"/);
  await eventually(
    () => s.request('GET', '/api/v1/users/carol/activity'),
    (r) => r.body.data.items.length === 1,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await s.request('GET', '/api/v1/users/carol/activity')).body.data.items.length, 1);
});

test('validation, scopes, readiness and messaging metrics', async (t) => {
  const s = await startServiceUnderTest(t);
  const bad = await s.request('POST', '/api/v1/events', { type: 'x', userId: '', extra: 1 });
  assert.equal(bad.status, 400);
  const fields = bad.body.data.errors.map((e: { field: string }) => e.field).sort();
  assert.deepEqual(fields, ['extra', 'userId']);
  // Formats the schema admits but a date cannot hold: a leap second, a year past 9999.
  for (const occurredAt of ['2016-12-31T23:59:60Z', '9999-12-31T23:59:59-23:59']) {
    const single = await s.request('POST', '/api/v1/events', {
      type: 'a',
      userId: 'u',
      occurredAt,
    });
    assert.equal(single.status, 400, occurredAt);
    assert.equal(single.body.data.errors[0].field, 'occurredAt');
    const batch = await s.request('POST', '/api/v1/events/batch', {
      events: [
        { type: 'a', userId: 'u' },
        { type: 'a', userId: 'u', occurredAt },
      ],
    });
    assert.equal(batch.status, 400, occurredAt);
    assert.equal(batch.body.data.errors[0].field, 'events.1.occurredAt');
  }
  const longKey = await s.request('POST', '/api/v1/events', {
    type: 'a',
    userId: 'u',
    properties: { ['k'.repeat(101)]: 'v' },
  });
  assert.equal(longKey.status, 400);
  for (const query of ['topic=a/b', 'topic=persistent://x/y/z/w', 'topic=t&subscription=a/b']) {
    const listed = await s.request('GET', `/api/v1/admin/dlq?${query}`);
    assert.equal(listed.status, 400, query);
    assert.equal(listed.body.code, 40001, query);
    const purged = await s.request('DELETE', `/api/v1/admin/dlq?${query}`);
    assert.equal(purged.status, 400, query);
  }
  // DELETE selects in its query string; a body (the replay route's shape) would be ignored
  // and everything purged.
  const purgeWithBody = await s.request('DELETE', '/api/v1/admin/dlq', { ids: ['4:39:-1'] });
  assert.equal(purgeWithBody.status, 400);
  assert.equal(purgeWithBody.body.data.errors[0].field, 'body');
  const purgeWithNull = await s.request('DELETE', '/api/v1/admin/dlq', null);
  assert.equal(purgeWithNull.status, 400);
  const badReplay = await s.request('POST', '/api/v1/admin/dlq/replay', { topic: 'a/b' });
  assert.equal(badReplay.status, 400);
  const tooMany = await s.request('POST', '/api/v1/events/batch', {
    events: Array.from({ length: 1001 }, () => ({ type: 'a', userId: 'u' })),
  });
  assert.equal(tooMany.status, 400);
  const noScope = await fetch(s.url + '/api/v1/events', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${s.token(['users:write'])}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ type: 'a', userId: 'u' }),
  });
  assert.equal(noScope.status, 403);
  const dlqNoAdmin = await fetch(s.url + '/api/v1/admin/dlq', {
    headers: { authorization: `Bearer ${s.token(['events:write'])}` },
  });
  assert.equal(dlqNoAdmin.status, 403);

  await s.request('POST', '/api/v1/events', { type: 'a', userId: 'm' });
  await eventually(
    () => s.request('GET', '/api/v1/users/m/activity'),
    (r) => r.body.data.items.length === 1,
  );
  const ready = await s.request('GET', '/readyz');
  assert.equal(ready.status, 200);
  for (const name of ['broker', 'consumer:activity', 'consumer:recommendations'])
    assert.equal(ready.body.checks[name].ok, true, name);
  const metrics = await (await fetch(s.url + '/metrics')).text();
  assert.match(
    metrics,
    /messaging_messages_sent_total\{topic="persistent:\/\/public\/default\/user-events",service="start"\} 1/,
  );
  assert.match(metrics, /messaging_messages_acked_total\{subscription="activity"\} 1/);
  assert.match(metrics, /messaging_latency_seconds_bucket\{le="0.05",topic=/);
  assert.match(metrics, /messaging_publish_in_flight 0/);
  const topics = await s.request('GET', '/api/v1/admin/topics');
  assert.equal(topics.status, 200);
  const userEvents = topics.body.data.items.find((x: { topic: string }) =>
    x.topic.endsWith('/user-events'),
  );
  assert.deepEqual(userEvents.subscriptions.map((x: { name: string }) => x.name).sort(), [
    'activity',
    'recommendations',
  ]);
});
