import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, startHarness } from '../app/app-harness.js';
import { helmetHeaders } from '../../src/http/security-headers.js';

// What a JSON answer carries (OWASP REST Security Cheat Sheet).
const API = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};
const PAGE_ONLY = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

// Helmet's defaults, as a browser sees them.
const EXPECTED = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';" +
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';" +
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

test("helmet's headers are worked out once, the same as helmet sets them", () => {
  assert.deepEqual(helmetHeaders(), EXPECTED);
  assert.equal(helmetHeaders({ frameguard: { action: 'deny' } })['x-frame-options'], 'DENY');
});

test('every JSON response carries the API security headers, errors and preflights included', async (t) => {
  const h = await startHarness(t);
  const responses = [
    await h.app.inject({ url: '/healthz' }),
    await h.app.inject({ url: '/no-such-route' }),
    await h.app.inject({ url: '/api/v1/users/missing' }),
    await h.app.inject({ method: 'POST', url: '/api/v1/users', payload: {} }),
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(h.token(['users:write'])),
      payload: { name: 'Ada', email: 'ada@example.com' },
    }),
    await h.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/users',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    }),
  ];
  assert.deepEqual(
    responses.map((r) => r.statusCode),
    [200, 404, 404, 401, 201, 204],
  );
  for (const r of responses) {
    for (const [name, value] of Object.entries(API))
      assert.equal(r.headers[name], value, `${name} on a ${r.statusCode}`);
    for (const name of PAGE_ONLY) assert.equal(r.headers[name], undefined, name);
    assert.ok(r.headers['x-request-id'], `x-request-id on a ${r.statusCode}`);
  }
});

test("the Swagger UI pages get helmet's browser-page headers", async (t) => {
  const h = await startHarness(t);
  const r = await h.app.inject({ url: '/docs/' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /text\/html/);
  for (const name of PAGE_ONLY)
    assert.equal(r.headers[name], (EXPECTED as Record<string, string>)[name], name);
  assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN');
  assert.equal(r.headers['cache-control'], undefined);
});
