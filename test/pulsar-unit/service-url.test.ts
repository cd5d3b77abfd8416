import assert from 'node:assert/strict';
import { test } from 'node:test';
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
