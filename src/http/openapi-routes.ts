import type { RouteOptions } from 'fastify';
import type { TObject, TSchema } from 'typebox';
import type { ErrorName } from './errors.js';
import {
  documented,
  errorResponses,
  errorsOf,
  RATE_LIMIT_HEADERS,
  type ResponseHeaders,
} from './openapi-responses.js';

/**
 * What the OpenAPI description needs to know about a route that its other options do not
 * tell. Read only when the document is built; Fastify ignores it.
 */
export interface RouteDocs {
  /** What each success response means, by status (an error status's also: see errorResponses). */
  responses: Record<number, string>;
  /** Headers the route's success responses carry, by status. */
  responseHeaders?: Record<number, ResponseHeaders>;
  /**
   * Request headers the handler reads and checks itself. They are documented only: a Fastify
   * `headers` schema would validate them before the handler, with other messages.
   */
  requestHeaders?: TObject;
  /** Errors the route answers besides the shared ones (validation, auth, limits, shutdown). */
  errors?: readonly ErrorName[];
}

declare module 'fastify' {
  interface FastifySchema {
    docs?: RouteDocs;
  }
}

/** The server-wide facts the description depends on. */
export interface ServerTraits {
  rateLimit: boolean;
  loadShedding: boolean;
}

type Schema = Record<string, unknown> & {
  docs?: RouteDocs;
  hide?: boolean;
  security?: unknown[];
  querystring?: TSchema;
  params?: TSchema;
  body?: TSchema;
  headers?: TSchema;
  response?: Record<string, unknown>;
};

const BODYLESS = new Set(['GET', 'HEAD']);

/**
 * The schema @fastify/swagger describes a route from: the route's own, plus the shared error
 * responses it can answer, response descriptions and headers, and documented request headers.
 * A new object: the route's schema, which Fastify validates and serializes with, is untouched.
 */
export function documentRoute(
  schema: Schema,
  route: Pick<RouteOptions, 'method' | 'config'>,
  server: ServerTraits,
): Schema {
  const { docs, ...rest } = schema;
  const config = (route.config ?? {}) as { rateLimit?: unknown; pressureHandler?: unknown };
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const rateLimited = server.rateLimit && config.rateLimit !== false;
  const names = errorsOf({
    validates: Boolean(
      schema.params ?? schema.querystring ?? schema.body ?? schema.headers ?? docs?.requestHeaders,
    ),
    readsBody: methods.some((m) => !BODYLESS.has(m)),
    authenticated: Array.isArray(schema.security) && schema.security.length > 0,
    rateLimited,
    shed: server.loadShedding && config.pressureHandler === undefined,
    own: docs?.errors ?? [],
  });
  const declared = schema.response ?? {};
  const response: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(declared)) {
    if (Number(status) >= 400) continue;
    const headers = {
      ...(rateLimited ? RATE_LIMIT_HEADERS : {}),
      ...docs?.responseHeaders?.[Number(status)],
    };
    const description = docs?.responses[Number(status)] ?? 'Success';
    response[status] = documented(body as TSchema, description, headers);
  }
  Object.assign(response, errorResponses(names, declared, rateLimited, docs?.responses));
  const out: Schema = { ...rest, response };
  if (schema.querystring) out.querystring = withoutDefaultedRequired(schema.querystring);
  if (docs?.requestHeaders) out.headers = docs.requestHeaders;
  return out;
}

/**
 * A query parameter with a default is optional for the client: the validator fills the
 * default in (ajv `useDefaults`), so handlers see it always present, which is why the schema
 * lists it as required.
 */
function withoutDefaultedRequired(schema: TSchema): TSchema {
  const object = schema as {
    properties?: Record<string, { default?: unknown }>;
    required?: string[];
  };
  const props = object.properties ?? {};
  const required = object.required ?? [];
  const kept = required.filter((name) => props[name]?.default === undefined);
  if (kept.length === required.length) return schema;
  const out = { ...schema, required: kept };
  if (kept.length === 0) delete (out as { required?: unknown }).required;
  return out as TSchema;
}
