/**
 * Bounds a handler's time. The handler gets an AbortSignal that fires at the deadline (or on
 * shutdown) so it can stop its work. The attempt then fails with a retryable
 * HandlerTimeoutError once the handler has stopped, so its key and its concurrency slot stay
 * taken while it still runs: the next message of the key does not overlap it. A handler that
 * ignores the signal is waited for a grace period (the timeout, at most 5 s); after that the
 * attempt fails anyway and the handler is left running, its key and slot released, so the
 * key's next message (or this one's retry) may run beside it. One that finishes its work
 * within the grace period succeeds: doing it again would do it twice.
 *
 * Cheap per message: one timer serves every handler of the middleware (deadline-list.ts), and
 * the handler's AbortController is created only if the handler reads `ctx.signal`.
 */
import { DeadlineList } from '../deadline-list.js';
import { HandlerTimeoutError } from '../errors.js';
import type { Middleware } from '../handler.js';

/** The longest a handler that ignores its aborted signal keeps its key after the deadline. */
export const MAX_TIMEOUT_GRACE_MS = 5000;

export function timeout(ms: number): Middleware {
  if (!(ms > 0)) return (next) => next;
  const deadlines = new DeadlineList(ms);
  const graceMs = Math.min(ms, MAX_TIMEOUT_GRACE_MS);
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
      let grace: NodeJS.Timeout | undefined;
      const settle = (err: unknown, failed: boolean) => {
        if (released) return;
        clearTimeout(grace);
        release();
        if (failed) reject(expired ?? err);
        else resolve();
      };
      const entry = deadlines.add(() => {
        expired = new HandlerTimeoutError(ms);
        controller?.abort(expired);
        grace = setTimeout(() => settle(expired, true), graceMs);
      });
      let running: Promise<void>;
      try {
        // A synchronous handler returns no promise (or any value): it has finished.
        running = Promise.resolve(next(message, ctx.withSignal(signal)));
      } catch (err) {
        settle(err, true);
        return;
      }
      running.then(
        () => settle(undefined, false),
        (err: unknown) => settle(err, true),
      );
    });
}
