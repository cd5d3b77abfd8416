// A client pointed at a port that does not speak Pulsar's binary protocol says so, instead
// of reading the server's first bytes as a huge frame size.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';

/** A TCP server that answers whatever it is sent with `reply`. */
async function answering(t: TestContext, reply: Buffer): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as net.AddressInfo).port;
}

async function connectError(t: TestContext, port: number): Promise<PulsarClientError> {
  const client = new PulsarClient({ serviceUrl: `pulsar://127.0.0.1:${port}` });
  t.after(() => client.close());
  const err = await client.createProducer({ topic: 'persistent://public/default/t' }).then(
    () => assert.fail('connected'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PulsarClientError, String(err));
  return err;
}

test('an HTTP answer (the admin port) is named as such, with the port to use', async (t) => {
  const port = await answering(
    t,
    Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
  );
  const err = await connectError(t, port);
  assert.equal(err.result, 'ProtocolError');
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} answered with HTTP`));
  assert.match(err.message, /web\/admin port .*binary port \(6650\)/);
});

test('a TLS alert (the TLS port, without pulsar+ssl://) is named as such', async (t) => {
  const port = await answering(t, Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
  const err = await connectError(t, port);
  assert.equal(err.result, 'ProtocolError');
  assert.match(err.message, /answered with TLS.*pulsar\+ssl:\/\//);
});

test('a server speaking another protocol is named as not Pulsar, with its first bytes', async (t) => {
  for (const banner of ['SSH-2.0-OpenSSH_9.2\r\n', '-ERR unknown command\r\n']) {
    const port = await answering(t, Buffer.from(banner));
    const err = await connectError(t, port);
    assert.equal(err.result, 'ProtocolError', err.message);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} does not speak Pulsar`));
    assert.ok(err.message.includes(JSON.stringify(banner.slice(0, 4))), err.message);
  }
});
