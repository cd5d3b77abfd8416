import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RouteModule } from '../../src/app/routes/index.js';

/**
 * Sends raw bytes to a server on 127.0.0.1 and returns everything it answers until it closes
 * the connection (ask for `Connection: close`, or send something it refuses).
 */
export async function rawHttp(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(request);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON body of a raw HTTP answer. */
export function bodyOf(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

/**
 * A keep-alive connection that has had one answer (GET /healthz) and is idle now. `closed`
 * resolves with everything the server sent once it closes the connection.
 */
export async function idleKeepAlive(url: URL) {
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  await once(socket, 'connect');
  let raw = '';
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => raw);
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  while (!/\r\n\r\n\{"status":"ok"\}/.test(raw))
    await new Promise((resolve) => setTimeout(resolve, 10));
  return { socket, closed };
}

/**
 * GET and POST /api/v1/slow answer after 400 ms; `entered` resolves once a request is inside.
 */
export function slowRoute(): { route: RouteModule; entered: Promise<void> } {
  let signal!: () => void;
  const entered = new Promise<void>((resolve) => (signal = resolve));
  const route: RouteModule = (app) => {
    app.route({
      method: ['GET', 'POST'],
      url: '/api/v1/slow',
      handler: async () => {
        signal();
        await sleep(400);
        return { code: 0, message: 'ok', data: 'done' };
      },
    });
  };
  return { route, entered };
}
