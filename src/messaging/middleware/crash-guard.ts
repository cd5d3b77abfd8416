/**
 * Stops a crash loop without blaming bystanders. Each run is noted in a durable
 * DeliveryJournal before it starts and the note removed when it ends. A message that finds
 * notes of earlier runs that never ended was in flight when the process died, but so was
 * everything else running then: it is run again alone in the process (other handlers wait),
 * once per restart. Only runs that were alone count: a message during whose lone runs the
 * process stopped `maxCrashes` times is not run again but fails with CrashLoopError, which
 * the dead-letter middleware outside stores with its reason.
 *
 * If the journal cannot be written the handler runs anyway: the guard must not stop
 * consumption. A refused message keeps its note (pruned later by the journal), so a
 * dead-letter publish that fails and is redelivered is refused again.
 */
import type { DeliveryJournal, DeliveryRef, RunHistory } from '../delivery-journal.js';
import { CrashLoopError } from '../errors.js';
import type { Middleware, MessageContext } from '../handler.js';
import { processRunGate, type RunGate } from '../run-gate.js';

export interface CrashGuardOptions {
  journal: DeliveryJournal;
  /** Lone runs that never ended after which a message is dead-lettered. Default 3. */
  maxCrashes?: number;
  /** Where runs wait to run alone. Default: the one gate of the process. */
  gate?: RunGate;
}

export function crashGuard(options: CrashGuardOptions): Middleware {
  const { journal } = options;
  const maxCrashes = Math.max(1, options.maxCrashes ?? 3);
  // One gate for the process: a consumer given a journal of its own is still not alone
  // while another consumer runs beside it.
  const runs = options.gate ?? processRunGate;
  return (next) => async (message, ctx) => {
    const ref: DeliveryRef = {
      subscription: ctx.subscription,
      topic: message.getTopicName(),
      messageId: message.getMessageId().toString(),
      publishTime: message.getPublishTimestamp(),
    };
    const entering = runs.enterShared(ctx.signal);
    if (entering && !(await entering)) return leaveForRedelivery(ctx, ref);
    let history: RunHistory | undefined;
    try {
      history = await journal.begin(ref);
    } catch (err) {
      ctx.logger.warn(
        { err, subscription: ctx.subscription, messageId: ref.messageId },
        'could not note the handler run; running it without the crash guard',
      );
    }
    if (history === undefined || history.unfinished === 0) {
      try {
        return await next(message, ctx);
      } finally {
        if (history !== undefined) journal.end(ref);
        runs.leaveShared();
      }
    }
    runs.leaveShared();
    if (history.unfinishedAlone >= maxCrashes) throw new CrashLoopError(history.unfinishedAlone);
    // Keeps its note: still a suspect after a restart.
    if (!(await runs.enterSolo(ctx.signal))) return leaveForRedelivery(ctx, ref);
    try {
      await journal.beginAlone(ref).catch((err: unknown) => {
        ctx.logger.warn({ err, messageId: ref.messageId }, 'could not note the lone run');
      });
      ctx.logger.warn(
        { subscription: ctx.subscription, messageId: ref.messageId, ...history, maxCrashes },
        'the process stopped while this message was being handled; running it alone',
      );
      await next(message, ctx);
    } finally {
      journal.end(ref);
      runs.leaveSolo();
    }
  };
}

/** Shutting down while waiting for the gate: not run, delivered again later. */
function leaveForRedelivery(ctx: MessageContext, ref: DeliveryRef): void {
  ctx.nack();
  ctx.logger.warn(
    { subscription: ctx.subscription, messageId: ref.messageId },
    'stopped before the handler could run; the message will be delivered again',
  );
}
