import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// An incoming id is echoed into logs and headers, so only short, plain ids are honoured.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The ids given to requests, for answers made outside Fastify (a 408 on a stalled body). */
const ids = new WeakMap<IncomingMessage, string>();

/** Fastify `genReqId`: honour a sane incoming X-Request-Id, else a fresh UUID. */
export function genRequestId(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
  ids.set(req, id);
  return id;
}

export function requestIdOf(req: IncomingMessage): string | undefined {
  return ids.get(req);
}
