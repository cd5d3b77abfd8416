import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE, type ErrorName } from './errors.js';
import { failure } from './envelope.js';
import { toFieldErrors } from './validation.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { answeredEarly } from './request-gate.js';
import type { RouteMethods } from './route-methods.js';

/** Fastify's own error codes and the catalogue entries they become. */
const FASTIFY_CODES: Record<string, ErrorName> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  // @fastify/compress: a request Content-Encoding it cannot decode.
  FST_CP_ERR_INVALID_CONTENT_ENCODING: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * The longest path parameter routed (Fastify's maxParamLength, 100 by default): longer ones
 * than a route's schema allows get that route's validation error, naming the field.
 */
export const MAX_PARAM_LENGTH = 1024;

/** Catalogue entries for the 4xx statuses of errors without a code of their own. */
const CLIENT_STATUSES: Record<number, ErrorName> = {
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Maps anything thrown into an AppError; unknown errors become INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown[] };
  if (Array.isArray(fe.validation)) {
    return new AppError(
      'VALIDATION_FAILED',
      { errors: toFieldErrors(fe.validation) },
      { cause: err },
    );
  }
  // Its message would echo the whole URL back.
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new AppError(
      'BAD_REQUEST',
      { reason: `a path parameter is over ${MAX_PARAM_LENGTH} characters` },
      { cause: err },
    );
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new AppError(mapped, null, { cause: err });
  // Fastify's JSON parser reports a syntax error as a plain 400 SyntaxError.
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return new AppError('MALFORMED_JSON', null, { cause: err });
  }
  // Any other client error Fastify or a plugin reports keeps its 4xx meaning, not a 500.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError(
      CLIENT_STATUSES[fe.statusCode] ?? 'BAD_REQUEST',
      { reason: fe.message },
      {
        cause: err,
      },
    );
  }
  // Another process held a SQLite write lock past the busy timeout: worth a retry.
  if (lockedOut(err))
    return new AppError('DATABASE_BUSY', null, { cause: err, headers: { 'retry-after': '1' } });
  return new AppError('INTERNAL', null, { cause: err });
}

/**
 * A SQLite busy error, thrown as it is or wrapped (the embedded broker reports a write it
 * could not make as its own error, with SQLite's as the cause).
 */
function lockedOut(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_BUSY(_|$)/.test(code)) return true;
  }
  return false;
}

/**
 * 503s that are the service working as designed, not trouble: each is in its request's log line
 * (with its code), and a warning each would flood the log exactly when a deploy or a load peak
 * makes many of them.
 */
const ROUTINE = new Set<ErrorName>(['SHUTTING_DOWN', 'OVERLOADED']);

/** What went wrong underneath a known failure, in one line: its stack helps nobody. */
function causeOf(err: AppError): string | undefined {
  const cause = err.cause;
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/**
 * Installs the error handler: every failure leaves as the envelope with the
 * catalogue's status. Internal errors carry only the request id; their stack goes to the log.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appErr = toAppError(err);
    if (appErr.errorName === 'INTERNAL') {
      request.log.error({ err }, 'unhandled error');
      return sendError(reply, appErr, { requestId: request.id });
    }
    if (appErr.statusCode >= 500 && !ROUTINE.has(appErr.errorName))
      request.log.warn(
        { code: appErr.code, errorName: appErr.errorName, cause: causeOf(appErr) },
        appErr.message,
      );
    return sendError(reply, appErr, appErr.data);
  });
}

/**
 * The answer for a request no route takes: a 405 with `Allow` when routes answer its path with
 * other methods, else the 404 envelope.
 */
export function notFoundHandler(
  methods: RouteMethods,
): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (request, reply) => {
    const url = request.url.split('?')[0];
    const allow = methods.allowed(url);
    if (allow.length === 0)
      return sendError(reply, new AppError('ROUTE_NOT_FOUND'), { method: request.method, url });
    const err = new AppError('METHOD_NOT_ALLOWED', null, { headers: { allow: allow.join(', ') } });
    return sendError(reply, err, { method: request.method, url, allow });
  };
}

/**
 * Fastify's `frameworkErrors` hook: errors raised before routing (a URL that is not valid
 * percent-encoding) would otherwise bypass the error handler and its envelope.
 */
export function frameworkErrorHandler(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // No hook has run yet, so the request id header is set here.
  reply.header(REQUEST_ID_HEADER, request.id);
  const appErr = toAppError(err);
  return sendError(reply, appErr, appErr.data);
}

/** The envelope code of each error answer, for the request's log line. */
const errorCodes = new WeakMap<FastifyReply, number>();

export function errorCodeOf(reply: FastifyReply): number | undefined {
  return errorCodes.get(reply);
}

/** Requests whose body stalled past the request timeout (answered 408 by the handler below). */
const stalled = new WeakSet<IncomingMessage>();

export function timedOut(raw: IncomingMessage): boolean {
  return stalled.has(raw);
}

function sendError(reply: FastifyReply, err: AppError, data: unknown): FastifyReply {
  errorCodes.set(reply, err.code);
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return reply
    .code(err.statusCode)
    .type('application/json; charset=utf-8')
    .send(failure(ERROR_CATALOGUE[err.errorName], data));
}

/** Node's parser and request-timeout errors with an answer of their own; the rest are 400. */
const PARSER_ERRORS: Record<string, ErrorName> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
};

/**
 * Fastify's `clientErrorHandler`: errors of Node's HTTP parser (a malformed Content-Length,
 * headers over the size limit) come before any request exists. They are answered with the
 * envelope and a request id of their own, like everything else, and the connection closes.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A request answered already (a 401 before its body arrived, say) must not get a second
  // answer when its body then times out: the connection just closes.
  if (err.code === 'ECONNRESET' || !socket.writable || answeredEarly(socket)) {
    socket.destroy();
    return;
  }
  const name: ErrorName = PARSER_ERRORS[err.code ?? ''] ?? 'BAD_REQUEST';
  const entry = ERROR_CATALOGUE[name];
  const body = JSON.stringify(failure(entry, { reason: STATUS_CODES[entry.status] }));
  // A request whose headers arrived (its body then stalled) keeps its id, and its record says
  // 408 (request-records.ts); one refused before its headers were read has no id yet.
  const incoming = pendingRequest(socket);
  if (incoming && name === 'REQUEST_TIMEOUT') stalled.add(incoming);
  socket.end(
    `HTTP/1.1 ${entry.status} ${STATUS_CODES[entry.status]}\r\n` +
      `content-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `${REQUEST_ID_HEADER}: ${(incoming && requestIdOf(incoming)) ?? randomUUID()}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

/**
 * The request on `socket` whose headers were read but whose body has not all arrived: Node's
 * HTTP parser holds it as `parser.incoming` until the next request's headers.
 */
function pendingRequest(socket: Socket): IncomingMessage | undefined {
  const incoming = (socket as Socket & { parser?: { incoming?: IncomingMessage | null } }).parser
    ?.incoming;
  return incoming && !incoming.complete ? incoming : undefined;
}
