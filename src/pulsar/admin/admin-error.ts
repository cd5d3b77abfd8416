/** Stable codes for admin REST failures, from the HTTP status or the transport. */
export type AdminErrorCode =
  | 'NotFound'
  | 'Conflict'
  | 'Unauthorized'
  | 'Forbidden'
  | 'PreconditionFailed'
  | 'BadRequest'
  | 'ServerError'
  | 'ConnectError'
  | 'Timeout';

export class PulsarAdminError extends Error {
  override readonly name = 'PulsarAdminError';
  constructor(
    readonly code: AdminErrorCode,
    /** HTTP status, 0 when no response arrived. */
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

export function codeForStatus(status: number): AdminErrorCode {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 412:
      return 'PreconditionFailed';
    default:
      return 'ServerError';
  }
}
