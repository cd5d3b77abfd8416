import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * The first hook of every request, in one synchronous function (each hook Fastify runs costs a
 * dispatch, an async one also a promise): the request id header, the fixed response headers
 * (helmet's, worked out once at startup), and the shutdown gate. So errors, 404s and refused
 * requests carry them too. Once close() starts, requests still arriving on open connections
 * get a 503 envelope and every response closes its connection.
 */
export function installRequestGate(
  app: Pick<FastifyInstance, 'addHook'>,
  fixedHeaders: Readonly<Record<string, string>>,
): void {
  const names = Object.keys(fixedHeaders);
  const values = names.map((name) => fixedHeaders[name]);
  const count = names.length;
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    for (let i = 0; i < count; i++) reply.header(names[i], values[i]);
    if (closing) done(new AppError('SHUTTING_DOWN', null, { headers: { 'retry-after': '5' } }));
    else done();
  });
  // A keep-alive connection that finishes its request while closing would otherwise stay
  // open until the keep-alive timeout and hold the shutdown up.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
