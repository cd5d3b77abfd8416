import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { tlsTransport } from '../../src/pulsar/tls-transport.js';
import { makeTestPki } from './tls-certs.js';

const pki = makeTestPki();
test.after(() => pki.cleanup());

/** A real TLS echo server on port 0 with the test CA's localhost certificate. */
async function echoServer(
  t: { after(fn: () => void): void },
  cert = pki.serverCert,
  key = pki.serverKey,
): Promise<number> {
  const server = tls.createServer({ cert, key }, (s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return (server.address() as AddressInfo).port;
}

function target(host: string, port: number) {
  return { host, port, url: `pulsar+ssl://${host}:${port}` };
}

test('connects with a custom CA (inline or from a file) and carries bytes', async (t) => {
  const port = await echoServer(t);
  for (const transport of [
    tlsTransport({ ca: pki.caPem }),
    tlsTransport({ trustCertsFilePath: pki.caPath }),
  ]) {
    const socket = await transport(target('localhost', port), 5000);
    const echoed = new Promise<string>((r) => socket.once('data', (b: Buffer) => r(b.toString())));
    socket.write('ping');
    assert.equal(await echoed, 'ping');
    socket.destroy();
  }
});

test('a certificate from an untrusted CA is a ConnectError', async (t) => {
  const port = await echoServer(t);
  await assert.rejects(tlsTransport({ ca: pki.otherCaPem })(target('localhost', port), 5000), {
    name: 'PulsarClientError',
    result: 'ConnectError',
  });
  // ...unless the caller opts out of verification, as the official clients allow.
  const socket = await tlsTransport({ allowInsecureConnection: true })(
    target('localhost', port),
    5000,
  );
  socket.destroy();
});

test('a certificate for another host name is refused unless hostname checks are off', async (t) => {
  const port = await echoServer(t, pki.wrongHostCert, pki.wrongHostKey);
  await assert.rejects(tlsTransport({ ca: pki.caPem })(target('127.0.0.1', port), 5000), {
    result: 'ConnectError',
  });
  const loose = tlsTransport({ ca: pki.caPem, validateHostname: false });
  const socket = await loose(target('127.0.0.1', port), 5000);
  socket.destroy();
});

test('a server that never completes the handshake is a ConnectError after the timeout', async (t) => {
  const net = await import('node:net');
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => silent.close());
  const port = (silent.address() as AddressInfo).port;
  const started = Date.now();
  await assert.rejects(tlsTransport({ ca: pki.caPem })(target('127.0.0.1', port), 300), {
    result: 'ConnectError',
    message: /timed out/,
  });
  assert.ok(Date.now() - started < 3000);
});
