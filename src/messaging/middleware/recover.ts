/**
 * The outermost guard: whatever escapes the chain (a handler throwing synchronously, a
 * dead-letter publish failing) is logged and the message is nacked for redelivery. A throw
 * never reaches the receive loop, so it never kills the process. The error is recorded on the
 * context (`ctx.recordFailure`), for the delivery's span.
 */
import { toError } from '../errors.js';
import type { Middleware } from '../handler.js';
import { messageLogFields } from '../message-log.js';

export function recover(): Middleware {
  return (next) => async (message, ctx) => {
    try {
      await next(message, ctx);
    } catch (thrown) {
      const err = toError(thrown);
      ctx.recordFailure(err);
      ctx.logger.error(
        { err, ...messageLogFields(message, ctx.subscription) },
        'message handling failed; it will be redelivered',
      );
      if (ctx.outcome === undefined) ctx.nack();
    }
  };
}
