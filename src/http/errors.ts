/**
 * The API's error catalogue: every error a client can see, with a stable numeric code,
 * its HTTP status and its message. Codes never change meaning once released; add new ones.
 * The README's error table is checked against this list by test/http/error-catalogue.test.ts.
 *
 * Code scheme: HTTP status * 100 + a running number, so the status is readable in the code.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { code: 40001, status: 400, message: 'Request validation failed' },
  MALFORMED_JSON: { code: 40002, status: 400, message: 'Request body is not valid JSON' },
  BAD_REQUEST: { code: 40003, status: 400, message: 'Bad request' },
  UNAUTHORIZED: { code: 40101, status: 401, message: 'Missing bearer token' },
  TOKEN_INVALID: { code: 40102, status: 401, message: 'Invalid bearer token' },
  TOKEN_EXPIRED: { code: 40103, status: 401, message: 'Bearer token has expired' },
  FORBIDDEN: { code: 40301, status: 403, message: 'Token lacks a required scope' },
  ROUTE_NOT_FOUND: { code: 40401, status: 404, message: 'Route not found' },
  USER_NOT_FOUND: { code: 40402, status: 404, message: 'User not found' },
  METHOD_NOT_ALLOWED: { code: 40501, status: 405, message: 'Method not allowed on this route' },
  REQUEST_TIMEOUT: { code: 40801, status: 408, message: 'The request took too long to arrive' },
  EMAIL_TAKEN: { code: 40901, status: 409, message: 'Email is already registered' },
  IDEMPOTENCY_KEY_REUSED: {
    code: 40902,
    status: 409,
    message: 'Idempotency key was already used with a different request body',
  },
  PAYLOAD_TOO_LARGE: { code: 41301, status: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { code: 41501, status: 415, message: 'Unsupported content type' },
  RATE_LIMITED: { code: 42901, status: 429, message: 'Too many requests' },
  HEADERS_TOO_LARGE: { code: 43101, status: 431, message: 'Request headers are too large' },
  INTERNAL: { code: 50001, status: 500, message: 'Internal server error' },
  BROKER_UNAVAILABLE: { code: 50301, status: 503, message: 'Event broker is unavailable' },
  PUBLISHER_FULL: { code: 50302, status: 503, message: 'Event publisher is at capacity' },
  SHUTTING_DOWN: { code: 50303, status: 503, message: 'Server is shutting down' },
  OVERLOADED: { code: 50304, status: 503, message: 'Server is overloaded' },
  DATABASE_BUSY: { code: 50305, status: 503, message: 'Database is locked by another process' },
} as const satisfies Record<string, { code: number; status: number; message: string }>;

export type ErrorName = keyof typeof ERROR_CATALOGUE;

export interface ErrorEntry {
  readonly code: number;
  readonly status: number;
  readonly message: string;
}

/**
 * The one error type routes throw for an expected failure. The error handler turns it into
 * the envelope `{code, message, data}` with the catalogue's HTTP status.
 */
export class AppError extends Error {
  readonly errorName: ErrorName;
  readonly code: number;
  readonly statusCode: number;
  readonly data: unknown;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;

  constructor(
    name: ErrorName,
    data?: unknown,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    const entry: ErrorEntry = ERROR_CATALOGUE[name];
    super(entry.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.errorName = name;
    this.code = entry.code;
    this.statusCode = entry.status;
    this.data = data ?? null;
    this.headers = options?.headers ?? {};
  }
}

export function isAppError(err: unknown, name?: ErrorName): err is AppError {
  return err instanceof AppError && (name === undefined || err.errorName === name);
}
