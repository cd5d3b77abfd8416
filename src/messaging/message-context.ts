/** The per-delivery context handed down the middleware chain; holds how the message was settled. */
import type { Consumer, Message } from '../broker/index.js';
import type { HandlerLogger, MessageContext } from './handler.js';
import type { MessageOutcome } from './metrics.js';
import { reconsumeTimes } from './properties.js';

interface Settlement {
  outcome: MessageOutcome | undefined;
}

export interface ContextInit {
  consumer: Consumer;
  message: Message;
  topic: string;
  subscription: string;
  signal: AbortSignal;
  logger: HandlerLogger;
  now: () => number;
}

export function createMessageContext(init: ContextInit): MessageContext {
  return build(init, { outcome: undefined }, init.signal);
}

function build(init: ContextInit, state: Settlement, signal: AbortSignal): MessageContext {
  const { consumer, message } = init;
  return {
    topic: init.topic,
    subscription: init.subscription,
    attempt: reconsumeTimes(message.getProperties()) + 1,
    signal,
    logger: init.logger,
    now: init.now,
    get outcome() {
      return state.outcome;
    },
    async retryLater(delayMs, properties) {
      await consumer.reconsumeLater(message, delayMs, properties);
      state.outcome = 'retried';
    },
    async deadLettered() {
      await consumer.acknowledge(message);
      state.outcome = 'dead-lettered';
    },
    nack() {
      state.outcome = 'nacked';
      consumer.negativeAcknowledge(message);
    },
    async skip() {
      await consumer.acknowledge(message);
      state.outcome = 'skipped';
    },
    withSignal(other) {
      return build(init, state, other);
    },
  };
}
