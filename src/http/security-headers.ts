import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's headers, worked out once. Helmet rebuilds its middleware chain (and re-renders the
 * Content-Security-Policy) on every request, yet with a fixed configuration and no CSP nonces
 * its headers never change from one request to the next. So helmet runs once at startup
 * against a recording response, and the request gate (request-gate.ts) copies what it set onto
 * each reply.
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

/**
 * The headers a JSON API needs (OWASP REST Security Cheat Sheet): no framing, no content of its
 * own to run (`default-src 'none'`), no sniffing, HSTS, no referrer, same-origin resources, and
 * `Cache-Control: no-store` for answers that carry personal data. The browser-page headers of
 * helmet's defaults (full CSP, COOP, Origin-Agent-Cluster, X-Download-Options, ...) only mean
 * something for HTML, which only /docs serves; they would add ~500 bytes to every answer.
 */
export const API_HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: { action: 'deny' },
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

export interface SecurityHeaders {
  /** JSON answers: the API, health, metrics, errors. */
  api: Readonly<Record<string, string>>;
  /** HTML pages (Swagger UI under /docs): helmet's defaults. */
  pages: Readonly<Record<string, string>>;
}

export function securityHeaders(): SecurityHeaders {
  return {
    api: { ...helmetHeaders(API_HELMET_OPTIONS), 'cache-control': 'no-store' },
    pages: helmetHeaders(),
  };
}
