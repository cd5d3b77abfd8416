/**
 * Reports each message: consumed (with publish-to-handler latency on its first delivery), then
 * its outcome and handling time, and the subscription's in-flight count.
 */
import type { Middleware } from '../handler.js';
import type { MessagingMetrics } from '../metrics.js';

export function metrics(sink: MessagingMetrics): Middleware {
  return (next) => async (message, ctx) => {
    const started = ctx.now();
    const first = ctx.attempt === 1 && message.getRedeliveryCount() === 0;
    const latency = first ? Math.max(0, started - message.getPublishTimestamp()) / 1000 : undefined;
    // The consumer's own topic: a label from message properties would let any producer on the
    // topic add series at will.
    sink.consumed(ctx.topic, ctx.subscription, latency);
    sink.consumerInFlight(ctx.subscription, 1);
    let threw = false;
    try {
      await next(message, ctx);
    } catch (err) {
      threw = true;
      throw err;
    } finally {
      const outcome = ctx.outcome ?? (threw ? 'nacked' : 'acked');
      sink.handled(ctx.subscription, outcome, (ctx.now() - started) / 1000);
      sink.consumerInFlight(ctx.subscription, -1);
    }
  };
}
