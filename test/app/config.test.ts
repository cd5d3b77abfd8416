import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_SCHEMA, ConfigError, loadConfig } from '../../src/config/index.js';

test('no environment at all gives a working configuration', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.broker, 'embedded');
  assert.equal(c.dataDir, './data');
  assert.equal(c.pulsarServiceUrl, 'pulsar://localhost:6650');
  assert.equal(c.jwtSecret, undefined);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logFormat, 'json');
  assert.equal(c.rateLimitMax, 1000);
  assert.equal(c.corsOrigin, '*');
});

test('values are parsed to their types; empty strings count as unset', () => {
  const c = loadConfig({
    PORT: '8080',
    MAGNETAR_BROKER: 'pulsar',
    PULSAR_SERVICE_URL: 'pulsar+ssl://pulsar.example:6651',
    LOG_LEVEL: 'debug',
    MAGNETAR_RATE_LIMIT_MAX: '0',
    MAGNETAR_CORS_ORIGIN: 'https://a.example,https://b.example',
    LOG_FILE: '',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.broker, 'pulsar');
  assert.equal(c.pulsarServiceUrl, 'pulsar+ssl://pulsar.example:6651');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.rateLimitMax, 0);
  assert.deepEqual(c.corsOrigin, ['https://a.example', 'https://b.example']);
  assert.equal(c.logFile, undefined);
});

test('PULSAR_SERVICE_URL may list several hosts, as the client reads it', () => {
  const c = loadConfig({ PULSAR_SERVICE_URL: ' pulsar://a:6650,b,[::1]:6651 ' });
  assert.equal(c.pulsarServiceUrl, 'pulsar://a:6650,b,[::1]:6651');
});

test('a bad value names the variable, what it expects and what it got', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /PORT must be an integer from 0 to 65535 \(got "abc"\)/],
    [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
    [{ PORT: '30.5' }, /PORT must be an integer/],
    [
      { MAGNETAR_BROKER: 'kafka' },
      /MAGNETAR_BROKER must be one of embedded, pulsar \(got "kafka"\)/,
    ],
    [
      { PULSAR_SERVICE_URL: 'http://x:6650' },
      /PULSAR_SERVICE_URL must be a URL \(pulsar:\/\/ or pulsar\+ssl:\/\/\)/,
    ],
    [
      { PULSAR_SERVICE_URL: 'pulsar://a:6650,b:99999' },
      /PULSAR_SERVICE_URL must be a URL \(pulsar:\/\/ or pulsar\+ssl:\/\/\) of host\[:port\]/,
    ],
    [
      { MAGNETAR_JWT_SECRET: 'short' },
      /MAGNETAR_JWT_SECRET must be a string of at least 32 characters/,
    ],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error/],
    [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT must be one of json, pretty/],
    [{ MAGNETAR_CORS_ORIGIN: 'not a url' }, /MAGNETAR_CORS_ORIGIN must be/],
  ];
  for (const [env, pattern] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, pattern);
        return true;
      },
    );
  }
});

test('every bad variable is reported at once', () => {
  try {
    loadConfig({ PORT: '-1', LOG_LEVEL: 'x' });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
      err.problems.map((p) => p.env),
      ['PORT', 'LOG_LEVEL'],
    );
  }
});

test('the README configuration table lists every variable with its default', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = /<!-- config-table:start -->([\s\S]*?)<!-- config-table:end -->/.exec(readme);
  assert.ok(m);
  const rows = m[1]
    .trim()
    .split('\n')
    .slice(2)
    .map((l) => l.split('|').map((c) => c.trim().replaceAll('`', '')));
  const documented = new Map(rows.map((r) => [r[1], r[2]]));
  const expected = Object.values(CONFIG_SCHEMA).map((s) => s.env);
  assert.deepEqual([...documented.keys()], expected);
  for (const spec of Object.values(CONFIG_SCHEMA)) {
    const def = spec.default as unknown;
    if (def === undefined) assert.match(documented.get(spec.env)!, /^\(/, spec.env);
    else assert.equal(documented.get(spec.env), String(def), spec.env);
  }
});
