import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's headers, worked out once. Helmet rebuilds its middleware chain (and re-renders the
 * Content-Security-Policy) on every request, yet with a fixed configuration and no CSP nonces
 * its headers never change from one request to the next. So helmet runs once at startup
 * against a recording response, and one synchronous hook copies what it set onto each reply.
 */
export function helmetHeaders(options: Readonly<HelmetOptions> = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (err?: unknown) => (failure = err),
  );
  if (failure) throw failure;
  return headers;
}

/** Adds helmet's security headers to every response, errors included. */
export function installSecurityHeaders(
  app: Pick<FastifyInstance, 'addHook'>,
  options: Readonly<HelmetOptions> = {},
): void {
  const headers = helmetHeaders(options);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
