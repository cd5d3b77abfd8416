import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PulsarClientError, serverError } from '../../src/pulsar/errors.js';
import { ServerError } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { fullTopicName } from '../../src/pulsar/topic-name.js';
import { parseServiceUrl } from '../../src/pulsar/transport.js';
import { MessageId } from '../../src/pulsar/message-id.js';

test('every ServerError maps to a PulsarClientError with its name as result', () => {
  for (const [name, code] of Object.entries(ServerError)) {
    if (typeof code !== 'number') continue;
    const e = serverError(code, 'why');
    assert.ok(e instanceof PulsarClientError);
    assert.equal(e.result, name);
    assert.match(e.message, /why/);
  }
  assert.equal(serverError(ServerError.ServiceNotReady).retriable, true);
  assert.equal(serverError(ServerError.ConsumerBusy).retriable, false);
  assert.equal(serverError(999 as ServerError).result, 'UnknownError');
});

test('short topic names expand like the Pulsar clients do', () => {
  assert.equal(fullTopicName('t'), 'persistent://public/default/t');
  assert.equal(fullTopicName('a/b/t'), 'persistent://a/b/t');
  assert.equal(fullTopicName('non-persistent://a/b/t'), 'non-persistent://a/b/t');
  assert.throws(() => fullTopicName('a/t'), PulsarClientError);
  assert.throws(() => fullTopicName('http://x/y/z'), PulsarClientError);
});

test('service URLs parse with default ports', () => {
  assert.deepEqual(parseServiceUrl('pulsar://127.0.0.1:6650'), {
    host: '127.0.0.1',
    port: 6650,
    url: 'pulsar://127.0.0.1:6650',
  });
  assert.equal(parseServiceUrl('pulsar://broker').port, 6650);
  assert.equal(parseServiceUrl('pulsar+ssl://broker').port, 6651);
  assert.throws(() => parseServiceUrl('http://broker:8080'), PulsarClientError);
});

test('message ids order and print like Pulsar ids', () => {
  const a = new MessageId(1n, 2n, -1, 0, 2);
  const b = new MessageId(1n, 2n, -1, 1, 2);
  assert.ok(a.compare(b) < 0);
  assert.equal(b.toString(), '1:2:-1:1');
  assert.equal(b.entry().toString(), '1:2:-1');
  assert.ok(new MessageId(1n, 3n).compare(b) > 0);
});
