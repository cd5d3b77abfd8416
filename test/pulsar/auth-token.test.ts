// Token authentication on the wire, byte for byte: a real socket server of the test's own
// plays the broker's side of the handshake. Against a real broker with authentication on:
// auth-tls-standalone.test.ts.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AuthenticationToken } from '../../src/pulsar/auth-token.js';
import {
  BaseCommand_Type as T,
  decodeCommand,
  encodeSimpleFrame,
} from '../../src/pulsar/commands.js';
import { Connection } from '../../src/pulsar/connection.js';
import { FrameDecoder } from '../../src/pulsar/frame-decoder.js';
import { tcpTransport } from '../../src/pulsar/transport.js';
import type { BaseCommand } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';

/** A TCP server that decodes what the client sends and answers CONNECT with CONNECTED. */
async function fakeBroker(t: { after(fn: () => void): void }) {
  const commands: BaseCommand[] = [];
  const sockets: Socket[] = [];
  let onCommand: (cmd: BaseCommand, socket: Socket) => void = () => undefined;
  const server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const cmd = decodeCommand(frame.command);
        commands.push(cmd);
        if (cmd.type === T.CONNECT) {
          socket.write(
            encodeSimpleFrame({
              type: T.CONNECTED,
              connected: { serverVersion: 'fake', protocolVersion: 21 },
            }),
          );
        }
        onCommand(cmd, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  return {
    commands,
    target: { host: '127.0.0.1', port, url: `pulsar://127.0.0.1:${port}` },
    on(fn: typeof onCommand) {
      onCommand = fn;
    },
    /** The server side of the (only) client connection. */
    socket: () => sockets[0],
  };
}

function open(target: { host: string; port: number; url: string }, auth?: AuthenticationToken) {
  return Connection.open({
    target,
    transport: tcpTransport,
    connectionTimeoutMs: 5000,
    operationTimeoutMs: 5000,
    keepAliveIntervalMs: 0,
    authentication: auth,
  });
}

test('CONNECT carries auth method "token" and the token as auth_data', async (t) => {
  const broker = await fakeBroker(t);
  const conn = await open(broker.target, new AuthenticationToken('eyJhbGciOi.secret.sig'));
  t.after(() => conn.close());
  const connect = broker.commands.find((c) => c.type === T.CONNECT)!.connect!;
  assert.equal(connect.authMethodName, 'token');
  assert.equal(Buffer.from(connect.authData).toString(), 'eyJhbGciOi.secret.sig');
});

test('an AUTH_CHALLENGE is answered with the token source read again (rotation)', async (t) => {
  const broker = await fakeBroker(t);
  let n = 0;
  const conn = await open(broker.target, new AuthenticationToken(async () => `token-${++n}`));
  t.after(() => conn.close());
  const connect = broker.commands.find((c) => c.type === T.CONNECT)!.connect!;
  assert.equal(Buffer.from(connect.authData).toString(), 'token-1');
  const response = new Promise<BaseCommand>((resolve) =>
    broker.on((cmd) => {
      if (cmd.type === T.AUTH_RESPONSE) resolve(cmd);
    }),
  );
  // The broker asks again when the token it holds is about to expire.
  broker.socket().write(
    encodeSimpleFrame({
      type: T.AUTH_CHALLENGE,
      authChallenge: { challenge: { authMethodName: 'token', authData: new Uint8Array() } },
    }),
  );
  const r = (await response).authResponse!.response!;
  assert.equal(r.authMethodName, 'token');
  assert.equal(Buffer.from(r.authData).toString(), 'token-2');
});

test('without authentication, CONNECT names no method and sends no credentials', async (t) => {
  const broker = await fakeBroker(t);
  const conn = await open(broker.target);
  t.after(() => conn.close());
  const connect = broker.commands.find((c) => c.type === T.CONNECT)!.connect!;
  assert.ok(!connect.authMethodName || connect.authMethodName === 'none');
  assert.equal(connect.authData.length, 0);
});
