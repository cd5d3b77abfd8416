import { once } from 'node:events';
import { connect } from 'node:net';

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
