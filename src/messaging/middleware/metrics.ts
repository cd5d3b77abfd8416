/**
 * Reports each message: consumed (with publish-to-handler latency), then its outcome and
 * handling time, and the subscription's in-flight count.
 */
import type { Middleware } from '../handler.js';
import type { MessagingMetrics } from '../metrics.js';
import { FAILURE_PROPERTIES } from '../properties.js';

export function metrics(sink: MessagingMetrics): Middleware {
  return (next) => async (message, ctx) => {
    const started = ctx.now();
    const topic = message.getProperties()[FAILURE_PROPERTIES.originalTopic] ?? ctx.topic;
    const published = message.getPublishTimestamp();
    sink.consumed(topic, ctx.subscription, Math.max(0, started - published) / 1000);
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
