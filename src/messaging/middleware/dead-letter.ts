/**
 * Stores a message the chain gave up on (the last attempt failed, or the handler said it is
 * not retryable) in the dead-letter topic, with properties saying why, then acks it. If the
 * dead-letter publish fails the error propagates and the message is redelivered later. The
 * error is recorded on the context first (`ctx.recordFailure`), for the delivery's span.
 */
import type { MessageId, ProducerMessage } from '../../broker/index.js';
import { SettleFailedError, toError } from '../errors.js';
import type { Middleware } from '../handler.js';
import { messageLogFields } from '../message-log.js';
import { failureProperties } from '../properties.js';

/** Where dead letters are written (a producer per topic, usually a ProducerPool). */
export type DeadLetterSink = (topic: string, message: ProducerMessage) => Promise<MessageId>;

export interface DeadLetterOptions {
  /** Full name of the dead-letter topic. */
  topic: string;
  sink: DeadLetterSink;
}

export function deadLetter(options: DeadLetterOptions): Middleware {
  return (next) => async (message, ctx) => {
    try {
      await next(message, ctx);
    } catch (thrown) {
      const err = toError(thrown);
      ctx.recordFailure(err);
      if (ctx.outcome !== undefined || err instanceof SettleFailedError) throw err;
      const properties = {
        ...message.getProperties(),
        ...failureProperties(message, ctx, err),
      };
      const out: ProducerMessage = { data: message.getData(), properties };
      const key = message.getPartitionKey();
      if (key !== undefined) out.partitionKey = key;
      const orderingKey = message.getOrderingKey();
      if (orderingKey !== undefined) out.orderingKey = orderingKey;
      const eventTime = message.getEventTimestamp();
      if (eventTime > 0) out.eventTimestamp = eventTime;
      const id = await options.sink(options.topic, out);
      await ctx.deadLettered();
      ctx.logger.warn(
        {
          err,
          ...messageLogFields(message, ctx.subscription),
          deadLetterId: id.toString(),
          attempt: ctx.attempt,
        },
        'message dead-lettered',
      );
    }
  };
}
