import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyPluginCallback,
  type RouteOptions,
} from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cors from '@fastify/cors';
import compress from '@fastify/compress';
import { constants as zlib } from 'node:zlib';
import type { Registry } from 'prom-client';
import {
  MAX_PARAM_LENGTH,
  clientErrorHandler,
  frameworkErrorHandler,
  installErrorHandlers,
  notFoundHandler,
} from './error-handler.js';
import { genRequestId } from './request-id.js';
import { securityHeaders } from './security-headers.js';
import { installRequestGate } from './request-gate.js';
import { createValidatorCompiler } from './validation.js';
import { installJsonBodyParser } from './json-body.js';
import { RouteMethods } from './route-methods.js';
import { registerAuth } from './auth.js';
import { registerLoadShedding, registerRateLimit, type RateLimitOptions } from './limits.js';
import { installRequestRecords, type RequestRecords } from './request-records.js';
import { registerOpenApi, type OpenApiInfo } from './openapi.js';
import type { HttpServer } from './types.js';

/** Node's own default for the headers; a shorter request timeout shortens it too. */
const NODE_HEADERS_TIMEOUT_MS = 60_000;

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  registry: Registry;
  jwtSecret: string;
  bodyLimitBytes: number;
  /**
   * A request's headers and body must arrive within this, else it gets a 408 and its
   * connection closes; 0: no limit (Node's 60 s for the headers still holds).
   */
  requestTimeoutMs: number;
  rateLimit: RateLimitOptions;
  corsOrigin: '*' | string[] | false;
  /** 0 turns load shedding off. */
  maxEventLoopDelayMs: number;
  /** The OpenAPI description and its pages (/openapi.json, /docs); none when left out. */
  openApi?: OpenApiInfo;
  /** Behind a load balancer: the client IP (for rate limits and logs) is X-Forwarded-For's. */
  trustProxy: boolean;
  /** On close, how long open connections keep getting 503 answers first. Default 0. */
  shutdownDrainMs?: number;
  /** Request spans (OpenTelemetry), when tracing is on. */
  tracing?: { fastifyPlugin(): FastifyPluginCallback };
}

/**
 * The Fastify server with Magnetar's HTTP conventions: request ids, the error envelope,
 * strict validation, JWT, rate and load limits, compression, security headers, CORS,
 * metrics and the OpenAPI description. Routes are added by the caller.
 */
export async function createHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const records: { current?: RequestRecords } = {};
  const app = Fastify({
    loggerInstance: opts.logger,
    genReqId: genRequestId,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // One line per request, when it ends, from request-records.ts.
      disableRequestLogging: true,
    }),
    bodyLimit: opts.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: opts.trustProxy,
    // Requests arriving while closing get our SHUTTING_DOWN envelope instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Requests Fastify answers before routing: no hook runs for them, so they are recorded here.
    frameworkErrors: (err, request, reply) => {
      frameworkErrorHandler(err, request, reply);
      records.current?.answered(request, reply);
    },
    // A client trickling a body (or never finishing it) would hold its connection for ever.
    requestTimeout: opts.requestTimeoutMs,
    http: {
      // Node would answer an HTTP/1.1 request without Host with a bare 400; the request gate
      // answers it with the envelope instead.
      requireHostHeader: false,
      ...(opts.requestTimeoutMs > 0
        ? {
            headersTimeout: Math.min(opts.requestTimeoutMs, NODE_HEADERS_TIMEOUT_MS),
            // How often Node looks for requests past their time: the 408 comes within this.
            connectionsCheckingInterval: Math.min(1000, opts.requestTimeoutMs),
          }
        : {}),
    },
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Before every hook and route, so each request's span covers all of it.
  if (opts.tracing) await app.register(opts.tracing.fastifyPlugin());
  app.setValidatorCompiler(createValidatorCompiler());
  installErrorHandlers(app);
  // Runs first: the request id, the security headers and the shutdown gate come before any
  // other hook.
  installRequestGate(app, securityHeaders(), opts.shutdownDrainMs ?? 0);
  // Only JSON bodies are accepted; anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);

  await app.register(cors, {
    origin: opts.corsOrigin,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    // An OPTIONS request that is not a browser preflight (no Origin) is answered like one,
    // with the allowed methods, rather than with a text/plain 400 outside the envelope.
    strictPreflight: false,
    // Headers browser code may read (beyond the CORS-safelisted ones).
    exposedHeaders: [
      'x-request-id',
      'retry-after',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'location',
      'idempotent-replayed',
    ],
  });
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip', 'deflate'],
    // Brotli's default quality (11) costs far more CPU than it saves on JSON responses.
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  await registerLoadShedding(app, opts.maxEventLoopDelayMs);
  await registerAuth(app, opts.jwtSecret);
  const rateLimited = await registerRateLimit(app, opts.rateLimit);
  // Unknown URLs count against the limit too, so probing for routes costs a scanner its budget.
  const methods = new RouteMethods();
  // Routes are added after this (by the caller): every one of them passes here.
  app.addHook('onRoute', (route) => {
    methods.add(route);
    refuseUnknownQuery(route);
  });
  app.setNotFoundHandler(
    rateLimited ? { preHandler: app.rateLimit() } : {},
    notFoundHandler(methods),
  );
  records.current = installRequestRecords(app, opts.registry);
  if (opts.openApi) await registerOpenApi(app, opts.openApi);
  return app as unknown as HttpServer;
}

/** The query string of an API route that takes no query parameters. */
const NO_QUERY = Type.Object({}, { additionalProperties: false });

/**
 * Every API route refuses query parameters it does not know (40001 naming them), as it refuses
 * unknown body fields: routes with parameters say so in their schemas, the others get none.
 */
function refuseUnknownQuery(route: RouteOptions): void {
  if (!route.url.startsWith('/api/') || route.schema?.querystring !== undefined) return;
  route.schema = { ...route.schema, querystring: NO_QUERY };
}
