import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from './errors.js';
import { headerCount } from './raw-headers.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import type { SecurityHeaders } from './security-headers.js';

/** URLs answered with HTML pages (Swagger UI), which get the browser-page headers. */
const PAGES_PREFIX = '/docs';

/**
 * The first hook of every request, in one synchronous function (each hook Fastify runs costs a
 * dispatch, an async one also a promise): the request id header, the fixed response headers
 * (helmet's, worked out once at startup: the API set, or helmet's defaults for HTML pages), the
 * shutdown gate and HTTP/1.1's required Host header. So errors, 404s and refused
 * requests carry them too. Once close() starts, requests still arriving on open connections
 * get a 503 envelope and every response closes its connection.
 *
 * For `drainMs` after close() starts (or until no connection is left) the server keeps its
 * connections: closing an idle keep-alive connection at once races a client already sending
 * on it, which then sees a reset and cannot tell whether its POST was taken. Within the
 * window such a request gets the 503 and its connection closes cleanly.
 */
export function installRequestGate(
  app: Pick<FastifyInstance, 'addHook' | 'server'>,
  headers: SecurityHeaders,
  drainMs = 0,
): void {
  const api = Object.entries(headers.api);
  const pages = Object.entries(headers.pages);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    const until = Date.now() + drainMs;
    while (Date.now() < until && (await openConnections(app.server)) > 0)
      await new Promise((r) => setTimeout(r, Math.min(DRAIN_POLL_MS, until - Date.now())));
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    const fixed = request.url.startsWith(PAGES_PREFIX) ? pages : api;
    for (let i = 0; i < fixed.length; i++) reply.header(fixed[i][0], fixed[i][1]);
    if (closing) done(new AppError('SHUTTING_DOWN', null, { headers: { 'retry-after': '5' } }));
    else done(hostProblem(request.raw));
  });
  // A keep-alive connection that finishes its request while closing would otherwise stay
  // open until the keep-alive timeout and hold the shutdown up.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    if (!request.raw.complete) noteAnsweredEarly(request.raw);
    done(null, payload);
  });
}

/**
 * HTTP/1.1 needs one Host header (RFC 9112, 3.2), which Node would answer with a bare 400 (it
 * is told not to). Node keeps the first of repeated Host headers and drops the rest, so a
 * proxy in front may have routed by another one: a second one refuses the request too.
 */
function hostProblem(raw: IncomingMessage): AppError | undefined {
  const hosts = raw.headers.host === undefined ? 0 : headerCount(raw.rawHeaders, 'host');
  if (hosts === 0 && raw.httpVersion === '1.1')
    return new AppError('BAD_REQUEST', { reason: 'an HTTP/1.1 request needs a Host header' });
  if (hosts > 1) return new AppError('BAD_REQUEST', { reason: 'send one Host header' });
  return undefined;
}

/** Connections whose current request was answered before its body had all arrived. */
const early = new WeakSet<Socket>();

/**
 * Node reads (and drops) the rest of an answered request's body on its own; if that body then
 * stalls, the request timeout must close the connection without a second answer.
 */
function noteAnsweredEarly(raw: IncomingMessage): void {
  const socket = raw.socket;
  early.add(socket);
  raw.once('end', () => early.delete(socket));
}

export function answeredEarly(socket: Socket): boolean {
  return early.has(socket);
}

const DRAIN_POLL_MS = 50;

function openConnections(server: FastifyInstance['server']): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
}
