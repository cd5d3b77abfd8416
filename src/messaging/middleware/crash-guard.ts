/**
 * Stops a crash loop: a message during whose handling the process stopped `maxCrashes` times
 * (the runs were noted in a durable DeliveryJournal and never ended) is not run again. It
 * fails with CrashLoopError, which the dead-letter middleware outside stores with its reason.
 *
 * If the journal cannot be written the handler runs anyway: the guard must not stop
 * consumption. A refused message keeps its note (pruned later by the journal), so a
 * dead-letter publish that fails and is redelivered is refused again.
 */
import type { DeliveryJournal, DeliveryRef } from '../delivery-journal.js';
import { CrashLoopError } from '../errors.js';
import type { Middleware } from '../handler.js';

export interface CrashGuardOptions {
  journal: DeliveryJournal;
  /** Unfinished runs after which a message is dead-lettered instead of run. Default 3. */
  maxCrashes?: number;
}

export function crashGuard(options: CrashGuardOptions): Middleware {
  const { journal } = options;
  const maxCrashes = Math.max(1, options.maxCrashes ?? 3);
  return (next) => async (message, ctx) => {
    const ref: DeliveryRef = {
      subscription: ctx.subscription,
      topic: message.getTopicName(),
      messageId: message.getMessageId().toString(),
    };
    let unfinished: number;
    try {
      unfinished = await journal.begin(ref);
    } catch (err) {
      ctx.logger.warn(
        { err, subscription: ctx.subscription, messageId: ref.messageId },
        'could not note the handler run; running it without the crash guard',
      );
      return next(message, ctx);
    }
    if (unfinished >= maxCrashes) throw new CrashLoopError(unfinished);
    if (unfinished > 0)
      ctx.logger.warn(
        { subscription: ctx.subscription, messageId: ref.messageId, unfinished, maxCrashes },
        'the process stopped while this message was being handled; running it again',
      );
    try {
      await next(message, ctx);
    } finally {
      journal.end(ref);
    }
  };
}
