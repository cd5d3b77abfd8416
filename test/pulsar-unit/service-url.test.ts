import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClient } from '../../src/pulsar/client.js';
import { PulsarClientError } from '../../src/pulsar/errors.js';
import { parseServiceHosts, parseServiceUrl } from '../../src/pulsar/transport.js';

test('a service URL with several hosts keeps them all, each with its port', () => {
  assert.deepEqual(parseServiceHosts('pulsar://a:7000,b,[::1]:7002/'), [
    { host: 'a', port: 7000, url: 'pulsar://a:7000' },
    { host: 'b', port: 6650, url: 'pulsar://b:6650' },
    { host: '::1', port: 7002, url: 'pulsar://[::1]:7002' },
  ]);
  assert.deepEqual(
    parseServiceHosts('pulsar+ssl://a,b:7001').map((h) => h.url),
    ['pulsar+ssl://a:6651', 'pulsar+ssl://b:7001'],
  );
  const first = parseServiceUrl('pulsar://a:7000,b');
  assert.equal(first.host, 'a');
  assert.equal(first.port, 7000);
  assert.equal(first.url, 'pulsar://a:7000,b:6650');
  assert.throws(() => parseServiceHosts('pulsar://a,,b'), PulsarClientError);
});

test('a host with a bad port, or no host, is refused when the client is made', () => {
  for (const bad of [
    'pulsar://127.0.0.1:99999',
    'pulsar://127.0.0.1:0',
    'pulsar://127.0.0.1:abc',
    'pulsar://a:6650,b:70000',
    'pulsar://:6650',
    'pulsar://a:6650,',
    'pulsar://user@host:6650',
  ]) {
    assert.throws(() => new PulsarClient({ serviceUrl: bad }), {
      name: 'PulsarClientError',
      result: 'InvalidConfiguration',
      message: /invalid service URL: .* a port 1-65535/,
    });
  }
  assert.equal(
    new PulsarClient({ serviceUrl: 'pulsar://h:65535' }).options.serviceUrl,
    'pulsar://h:65535',
  );
});
