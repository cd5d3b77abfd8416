/**
 * Dead letters must outlive the process that wrote them. On Pulsar a topic without
 * subscriptions keeps nothing (acked-by-everyone data is trimmed, and an inactive topic is
 * deleted once its producers are gone), so, as the Java client's
 * DeadLetterPolicy.initialSubscriptionName does, a durable subscription is created on each
 * dead-letter topic before its first letter. It never reads, so every letter stays until
 * an operator replays or purges it. The embedded broker keeps them the same way.
 */
import type { Broker, MessageId, ProducerMessage } from '../broker/index.js';
import type { DeadLetterSink } from './middleware/dead-letter.js';

/** The subscription that keeps dead letters (and the broker's own safety-net letters). */
export const DEAD_LETTER_RETENTION_SUBSCRIPTION = 'dlq-retention';

export function retainingDeadLetterSink(
  broker: Pick<Broker, 'subscribe'>,
  send: (topic: string, message: ProducerMessage) => Promise<MessageId>,
): DeadLetterSink {
  const retained = new Map<string, Promise<void>>();
  const retain = (topic: string): Promise<void> => {
    let made = retained.get(topic);
    if (made === undefined) {
      made = broker
        .subscribe({
          topic,
          subscription: DEAD_LETTER_RETENTION_SUBSCRIPTION,
          subscriptionInitialPosition: 'Earliest',
          subscriptionType: 'Shared',
        })
        .then((consumer) => consumer.close());
      // A failure is tried again with the next letter (which fails with it meanwhile).
      made.catch(() => retained.delete(topic));
      retained.set(topic, made);
    }
    return made;
  };
  return async (topic, message) => {
    await retain(topic);
    return send(topic, message);
  };
}
