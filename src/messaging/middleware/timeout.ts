/**
 * Bounds a handler's time. The handler gets an AbortSignal that fires at the deadline (or on
 * shutdown) so it can stop its work; the chain moves on with a retryable HandlerTimeoutError.
 */
import { HandlerTimeoutError } from '../errors.js';
import type { Middleware } from '../handler.js';

export function timeout(ms: number): Middleware {
  return (next) => async (message, ctx) => {
    if (!(ms > 0)) return next(message, ctx);
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) controller.abort(ctx.signal.reason);
    else ctx.signal.addEventListener('abort', onOuterAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new HandlerTimeoutError(ms);
        controller.abort(err);
        reject(err);
      }, ms);
    });
    try {
      await Promise.race([next(message, ctx.withSignal(controller.signal)), expired]);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onOuterAbort);
    }
  };
}
