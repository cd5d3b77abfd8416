/**
 * Skips (acks without handling) a message whose event id this subscription already handled.
 * The id is remembered only after the handler succeeded, so a failed attempt is not skipped.
 * A copy that arrives while the first is still being handled (on a Shared subscription
 * copies can run side by side) waits for it, then is skipped if it succeeded.
 */
import type { Message } from '../../broker/index.js';
import type { Middleware } from '../handler.js';
import { EVENT_PROPERTIES } from '../event.js';
import type { DedupeStore } from '../dedupe-store.js';

export interface DedupeOptions {
  store: DedupeStore;
  /** Default: the `eventId` property. Messages without a key are always handled. */
  keyOf?: (message: Message) => string | undefined;
}

const byEventId = (message: Message) => message.getProperties()[EVENT_PROPERTIES.eventId];

export function dedupe(options: DedupeOptions): Middleware {
  const keyOf = options.keyOf ?? byEventId;
  const running = new Map<string, Promise<void>>();
  return (next) => async (message, ctx) => {
    const key = keyOf(message);
    if (!key) return next(message, ctx);
    const slot = `${ctx.subscription}\u0000${key}`;
    for (let first = running.get(slot); first; first = running.get(slot)) await first;
    // Taken before the first await below, so a copy arriving meanwhile waits.
    let finished!: () => void;
    running.set(slot, new Promise<void>((resolve) => (finished = resolve)));
    try {
      if (await options.store.has(ctx.subscription, key)) {
        ctx.logger.debug(
          { subscription: ctx.subscription, key, messageId: message.getMessageId().toString() },
          'duplicate message skipped',
        );
        await ctx.skip();
        return;
      }
      await next(message, ctx);
      if (ctx.outcome === undefined) await options.store.add(ctx.subscription, key);
    } finally {
      running.delete(slot);
      finished();
    }
  };
}
