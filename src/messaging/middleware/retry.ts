/**
 * Retries failed messages through the retry letter topic (reconsumeLater), so the attempt
 * count and the delay survive a restart. Delays grow exponentially with jitter; a
 * RetryLaterError picks its own delay. Non-retryable errors and the last attempt's error
 * pass through to the dead-letter middleware.
 *
 * An attempt that fails after `ctx.signal` fired (the consumer's drain deadline passed while
 * it ran) failed because of the shutdown, not because of the message: it is left to be
 * delivered again, without using up an attempt and never to the dead letters.
 *
 * Every error it catches is recorded on the context (`ctx.recordFailure`), so the delivery's
 * span shows the handler's exception though the error ends here, as a retry.
 */
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { NonRetryableError, RetryLaterError, SettleFailedError, toError } from '../errors.js';
import type { Middleware } from '../handler.js';
import { messageLogFields } from '../message-log.js';
import { failureProperties } from '../properties.js';

export interface RetryOptions {
  /** Deliveries that may run the handler, the first included. Default 5. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

export function retry(options: RetryOptions = {}): Middleware {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  return (next) => async (message, ctx) => {
    try {
      await next(message, ctx);
    } catch (thrown) {
      const err = toError(thrown);
      ctx.recordFailure(err);
      if (ctx.outcome !== undefined) throw err;
      if (ctx.signal.aborted && !(err instanceof NonRetryableError)) {
        ctx.nack();
        ctx.logger.warn(
          { ...messageLogFields(message, ctx.subscription), attempt: ctx.attempt },
          'handler stopped by shutdown; the message will be delivered again',
        );
        return;
      }
      if (err instanceof NonRetryableError || ctx.attempt >= maxAttempts) throw err;
      const delayMs =
        err instanceof RetryLaterError
          ? err.delayMs
          : backoffDelay(ctx.attempt, options.backoff, options.random);
      try {
        await ctx.retryLater(delayMs, failureProperties(message, ctx, err));
      } catch (settleErr) {
        throw new SettleFailedError('could not schedule the retry', { cause: settleErr });
      }
      ctx.logger.warn(
        {
          err,
          ...messageLogFields(message, ctx.subscription),
          attempt: ctx.attempt,
          maxAttempts,
          delayMs,
        },
        'message failed; retrying later',
      );
    }
  };
}
