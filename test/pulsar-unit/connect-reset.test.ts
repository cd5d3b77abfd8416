import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { AuthenticationToken, PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';

// A broker that accepts the TCP connection and resets it at once (it is shutting down, say),
// while the client is still fetching its token.
test('a connection reset while credentials are fetched fails the connect, it does not crash', async (t) => {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    setTimeout(() => s.resetAndDestroy(), 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise((r) => server.close(r)));
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));
  const client = new PulsarClient({
    serviceUrl: `pulsar://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    authentication: new AuthenticationToken(
      () => new Promise<string>((r) => setTimeout(() => r('token'), 100)),
    ),
  });
  t.after(() => client.close());
  await assert.rejects(
    client.createProducer({ topic: 't' }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'ConnectError',
  );
  await new Promise((r) => setTimeout(r, 150)); // the token arrives after the failure
  assert.deepEqual(uncaught, []);
});
