/**
 * A handler is a function of a message; a middleware is a function from handler to handler.
 * The runtime acks a message whose chain resolves without settling it another way; the
 * middleware settle messages through the context (retry later, dead-letter, nack).
 */
import type { Message } from '../broker/index.js';
import type { MessageOutcome } from './metrics.js';

export interface HandlerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MessageContext {
  readonly topic: string;
  readonly subscription: string;
  /** 1 on the first delivery; grows with each retry through the retry letter topic. */
  readonly attempt: number;
  /** Aborted when the handler's time is up or the consumer is shutting down. */
  readonly signal: AbortSignal;
  readonly logger: HandlerLogger;
  now(): number;
  /** How the message was settled, if a middleware settled it; undefined means "ack it". */
  readonly outcome: MessageOutcome | undefined;
  /**
   * Why this delivery failed, as the middleware that caught the errors recorded them: first
   * the attempt's own error (recorded by the innermost one that saw it, even when a later
   * middleware turns the failure into a retry or a dead letter), then any error handling it
   * raised (a retry that could not be scheduled). Empty while nothing failed.
   */
  readonly failures: readonly Error[];
  /** Records an error this delivery failed with; one already recorded is not added again. */
  recordFailure(err: Error): void;
  /** Acks the message and schedules it again through the retry letter topic. */
  retryLater(delayMs: number, properties?: Record<string, string>): Promise<void>;
  /** Marks the message dead-lettered (the middleware already stored it) and acks it. */
  deadLettered(): Promise<void>;
  /** Gives the message back for redelivery after the subscription's nack delay. */
  nack(): void;
  /** Acks without running the handler (for duplicates). */
  skip(): Promise<void>;
  /**
   * The same context (same settlement state) with another abort signal; a function is called
   * the first time the signal is read, so a signal nobody reads is never created.
   */
  withSignal(signal: AbortSignal | (() => AbortSignal)): MessageContext;
}

export type Handler = (message: Message, ctx: MessageContext) => Promise<void>;
export type Middleware = (next: Handler) => Handler;

/**
 * What a consumer's author writes: synchronous or async. Returning (anything but a rejecting
 * promise) is success; throwing or rejecting is a failed attempt.
 */
export type ConsumerHandler = (message: Message, ctx: MessageContext) => unknown;

/** The handler as the middleware chain calls it: always a promise, a throw becomes a rejection. */
export function asyncHandler(handler: ConsumerHandler): Handler {
  return async (message, ctx) => {
    await handler(message, ctx);
  };
}

/** compose(a, b, c)(h) = a(b(c(h))): the first middleware is the outermost. */
export function compose(...middleware: Middleware[]): Middleware {
  return (handler) => middleware.reduceRight((next, mw) => mw(next), handler);
}

export const silentLogger: HandlerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
