import { STATUS_CODES } from 'node:http';
import { Type, type TSchema } from 'typebox';
import { ErrorEnvelopeSchema } from './envelope.js';
import { ERROR_CATALOGUE, type ErrorName } from './errors.js';

/** What a route does that decides which of the shared errors it can answer. */
export interface RouteTraits {
  /** It has a params, query string, body or headers schema (or checks headers itself). */
  validates: boolean;
  /** Its method carries a body (anything but GET and HEAD), so Fastify reads and parses one. */
  readsBody: boolean;
  /** It needs a bearer token with scopes. */
  authenticated: boolean;
  rateLimited: boolean;
  /** Load shedding applies (it is on, and the route does not opt out). */
  shed: boolean;
  /** Errors of the route's own, from its RouteDocs. */
  own: readonly ErrorName[];
}

/**
 * Every error a route can answer. Some apply to all routes: Node's parser refuses a malformed
 * request (BAD_REQUEST), headers over the limit (HEADERS_TOO_LARGE) or one too slow to arrive
 * (REQUEST_TIMEOUT); an unexpected failure is INTERNAL; during the shutdown drain every
 * request gets SHUTTING_DOWN (the request gate runs before routing decides anything else).
 */
export function errorsOf(traits: RouteTraits): ErrorName[] {
  const names = new Set<ErrorName>([
    'BAD_REQUEST',
    'REQUEST_TIMEOUT',
    'HEADERS_TOO_LARGE',
    'INTERNAL',
    'SHUTTING_DOWN',
  ]);
  if (traits.validates) names.add('VALIDATION_FAILED');
  if (traits.readsBody) {
    names.add('MALFORMED_JSON').add('PAYLOAD_TOO_LARGE').add('UNSUPPORTED_MEDIA_TYPE');
  }
  if (traits.authenticated) {
    names.add('UNAUTHORIZED').add('TOKEN_INVALID').add('TOKEN_EXPIRED').add('FORBIDDEN');
  }
  if (traits.rateLimited) names.add('RATE_LIMITED');
  if (traits.shed) names.add('OVERLOADED');
  for (const name of traits.own) names.add(name);
  return [...names].sort((a, b) => ERROR_CATALOGUE[a].code - ERROR_CATALOGUE[b].code);
}

/** Response headers as @fastify/swagger reads them: `headers` beside a response's schema. */
export type ResponseHeaders = Record<string, TSchema>;

export const RATE_LIMIT_HEADERS: ResponseHeaders = {
  'x-ratelimit-limit': Type.Integer({ description: 'Requests allowed per window' }),
  'x-ratelimit-remaining': Type.Integer({ description: 'Requests left in this window' }),
  'x-ratelimit-reset': Type.Integer({ description: 'Seconds until the window resets' }),
};

const RETRY_AFTER: ResponseHeaders = {
  'retry-after': Type.Integer({ description: 'Seconds to wait before retrying' }),
};

/** A documented response: its schema with the description and headers @fastify/swagger emits. */
export function documented(
  schema: TSchema,
  description: string,
  headers: ResponseHeaders = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema, 'x-response-description': description };
  if (Object.keys(headers).length > 0) out.headers = headers;
  return out;
}

/**
 * The error responses for `names`, one per status, each listing the codes it can carry.
 * `declared` are the route's own response schemas: a status it declares keeps that schema
 * (e.g. the readiness report that is also a 503), so the description never contradicts what
 * is serialized, and `own` describes the route's own answers with that status.
 */
export function errorResponses(
  names: readonly ErrorName[],
  declared: Record<string, unknown>,
  rateLimited: boolean,
  own: Record<number, string> = {},
): Record<string, Record<string, unknown>> {
  const byStatus = new Map<number, ErrorName[]>();
  for (const name of names) {
    const status = ERROR_CATALOGUE[name].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [status, group] of byStatus) {
    const codes = group.map((n) => `${ERROR_CATALOGUE[n].code} ${n}`).join(', ');
    const envelope = `the error envelope, code one of ${codes}`;
    // A route's own answer with an error status (the not-ready report) comes first.
    const description = own[status]
      ? `${own[status]}; or ${envelope}`
      : `${STATUS_CODES[status]}: ${envelope}`;
    const schema = (declared[status] as TSchema | undefined) ?? ErrorEnvelopeSchema;
    out[status] = documented(schema, description, headersFor(status, rateLimited && group));
  }
  return out;
}

/**
 * Errors answered before the rate limiter runs (by Node's parser, the request gate, load
 * shedding, the route's token check), which never carry its headers.
 */
const BEFORE_LIMITER = new Set<ErrorName>([
  'BAD_REQUEST',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'SHUTTING_DOWN',
  'OVERLOADED',
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
]);

/**
 * The rate limiter sets its headers when it counts a request, so the answers after it carry
 * them, errors included; a status whose codes all come before it gets none, and one with codes
 * of both kinds says which go without.
 */
function headersFor(status: number, limited: false | readonly ErrorName[]): ResponseHeaders {
  const retry = status === 429 || status === 503 ? RETRY_AFTER : {};
  if (limited === false) return retry;
  const before = limited.filter((n) => BEFORE_LIMITER.has(n));
  if (before.length === limited.length) return retry;
  if (before.length === 0) return { ...retry, ...RATE_LIMIT_HEADERS };
  const codes = before.map((n) => ERROR_CATALOGUE[n].code).join(', ');
  const limits: ResponseHeaders = {};
  for (const [name, schema] of Object.entries(RATE_LIMIT_HEADERS))
    limits[name] = {
      ...schema,
      description: `${(schema as { description?: string }).description} (not on ${codes})`,
    };
  return { ...retry, ...limits };
}
