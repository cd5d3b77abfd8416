/**
 * Bounds a handler's time. The handler gets an AbortSignal that fires at the deadline (or on
 * shutdown) so it can stop its work; the chain moves on with a retryable HandlerTimeoutError.
 *
 * Cheap per message: one timer serves every handler of the middleware (deadline-list.ts), and
 * the handler's AbortController is created only if the handler reads `ctx.signal`.
 */
import { DeadlineList } from '../deadline-list.js';
import { HandlerTimeoutError } from '../errors.js';
import type { Middleware } from '../handler.js';

export function timeout(ms: number): Middleware {
  if (!(ms > 0)) return (next) => next;
  const deadlines = new DeadlineList(ms);
  return (next) => (message, ctx) =>
    new Promise<void>((resolve, reject) => {
      const outer = ctx.signal;
      let controller: AbortController | undefined;
      let expired: HandlerTimeoutError | undefined;
      let released = false;
      const onOuterAbort = () => controller?.abort(outer.reason);
      const signal = () => {
        if (controller === undefined) {
          controller = new AbortController();
          if (expired) controller.abort(expired);
          else if (outer.aborted) controller.abort(outer.reason);
          // Read after the handler settled: nothing is left to abort, and nothing would
          // remove a listener on the long-lived outer signal.
          else if (!released) outer.addEventListener('abort', onOuterAbort, { once: true });
        }
        return controller.signal;
      };
      const release = () => {
        released = true;
        deadlines.remove(entry);
        if (controller !== undefined) outer.removeEventListener('abort', onOuterAbort);
      };
      const entry = deadlines.add(() => {
        expired = new HandlerTimeoutError(ms);
        controller?.abort(expired);
        release();
        reject(expired);
      });
      let running: Promise<void>;
      try {
        running = next(message, ctx.withSignal(signal));
      } catch (err) {
        release();
        reject(err);
        return;
      }
      running.then(
        () => {
          release();
          resolve();
        },
        (err: unknown) => {
          release();
          reject(err);
        },
      );
    });
}
