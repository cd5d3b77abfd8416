/**
 * Errors of the messaging layer. Publisher errors carry a stable `code` and a
 * `retryAfterSeconds` hint the HTTP layer turns into 503 + Retry-After; handler errors steer
 * what the consumer runtime does with a message.
 */

export type MessagingErrorCode =
  | 'PUBLISHER_FULL'
  | 'BROKER_UNAVAILABLE'
  | 'PUBLISHER_CLOSED'
  | 'NON_RETRYABLE'
  | 'RETRY_LATER'
  | 'HANDLER_TIMEOUT'
  | 'HANDLER_PANIC'
  | 'MALFORMED_EVENT'
  | 'SETTLE_FAILED'
  | 'CRASH_LOOP';

export class MessagingError extends Error {
  readonly code: MessagingErrorCode;
  constructor(code: MessagingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MessagingError';
    this.code = code;
  }
}

/** The publisher cannot take this publish now; the caller should answer 503 and retry later. */
export class PublishRejectedError extends MessagingError {
  readonly retryAfterSeconds: number;
  constructor(
    code: 'PUBLISHER_FULL' | 'BROKER_UNAVAILABLE' | 'PUBLISHER_CLOSED',
    message: string,
    retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'PublishRejectedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Thrown by a handler: retrying cannot help, send the message straight to the dead letters. */
export class NonRetryableError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NON_RETRYABLE', message, options);
    this.name = 'NonRetryableError';
  }
}

/** Thrown by a handler: try again after `delayMs` (counts as an attempt). */
export class RetryLaterError extends MessagingError {
  readonly delayMs: number;
  /** `delayMs`: a finite number of milliseconds >= 0 (a fraction is rounded down). */
  constructor(delayMs: number, message = `retry in ${delayMs} ms`, options?: { cause?: unknown }) {
    // NaN (a failed parse) would retry at once and Infinity is no time to deliver at. A huge
    // finite delay is taken as asked: the message waits that long.
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0)
      throw new RangeError(`RetryLaterError: delayMs must be a finite number >= 0, got ${delayMs}`);
    super('RETRY_LATER', message, options);
    this.name = 'RetryLaterError';
    this.delayMs = Math.floor(delayMs);
  }
}

export class HandlerTimeoutError extends MessagingError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super('HANDLER_TIMEOUT', `handler did not finish within ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** A handler threw something that is not an Error (a string, undefined...). */
export class HandlerPanicError extends MessagingError {
  readonly thrown: unknown;
  constructor(thrown: unknown) {
    super('HANDLER_PANIC', `handler threw a non-error value: ${describe(thrown)}`);
    this.name = 'HandlerPanicError';
    this.thrown = thrown;
  }
}

/**
 * The message is not an event this consumer understands (bad JSON, missing fields). Retried
 * like any failure, then dead-lettered: it is most often version skew between a producer and
 * its consumers, which a deploy fixes; replaying the dead letter then sends it through.
 */
export class MalformedEventError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MALFORMED_EVENT', message, options);
    this.name = 'MalformedEventError';
  }
}

/**
 * Settling a message with the broker failed (retry publish, ack). Not the handler's fault:
 * the message must be redelivered, never dead-lettered for it.
 */
export class SettleFailedError extends MessagingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SETTLE_FAILED', message, options);
    this.name = 'SettleFailedError';
  }
}

/**
 * The process stopped (crashed, was killed) this many times while the message was being
 * handled: it is dead-lettered instead of being run again.
 */
export class CrashLoopError extends MessagingError {
  readonly unfinishedRuns: number;
  constructor(unfinishedRuns: number) {
    super(
      'CRASH_LOOP',
      `the process stopped ${unfinishedRuns} times while this message was being handled; ` +
        'it is not run again',
    );
    this.name = 'CrashLoopError';
    this.unfinishedRuns = unfinishedRuns;
  }
}

export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new HandlerPanicError(thrown);
}

function describe(value: unknown): string {
  try {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return (text ?? String(value)).slice(0, 200);
  } catch {
    // A cycle or a BigInt inside; String() itself throws for an object without a prototype.
    try {
      return String(value).slice(0, 200);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
