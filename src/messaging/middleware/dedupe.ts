/**
 * Skips (acks without handling) a message whose event id this subscription already handled.
 * The id is remembered only after the handler succeeded, so a failed attempt is not skipped.
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
  return (next) => async (message, ctx) => {
    const key = keyOf(message);
    if (!key) return next(message, ctx);
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
  };
}
