/** What a consumer is: a topic, a subscription, a handler and how to treat failures. */
import type { InitialPosition, SubscriptionType } from '../broker/index.js';
import { deadLetterTopicName, fullTopicName, MAX_TIMER_DELAY_MS } from '../broker/index.js';
import type { BackoffOptions } from './backoff.js';
import type { DedupeStore } from './dedupe-store.js';
import type { Handler, Middleware } from './handler.js';

export interface ConsumerDefinitionInput {
  /** Name in logs, metrics and /readyz. Default: the subscription. */
  name?: string;
  topic: string;
  subscription: string;
  /** Default 'KeyShared'. */
  type?: SubscriptionType;
  /** Handlers running at once. Default 8. */
  concurrency?: number;
  handler: Handler;
  retry?: {
    /** Deliveries that may run the handler, the first included. Default 5. */
    maxAttempts?: number;
    backoff?: BackoffOptions;
  };
  /** Dead-letter topic; default `<topic>-<subscription>-DLQ`. */
  deadLetter?: { topic?: string };
  /** Per-message handler time. Default 30000 ms; 0 (or Infinity) = no limit; at most 2^31-1. */
  timeoutMs?: number;
  /** Skip event ids this subscription already handled. Default: an in-memory store. */
  dedupe?: DedupeStore | false;
  /** Where a new subscription starts. Default 'Earliest', so nothing published before is missed. */
  initialPosition?: InitialPosition;
  /** Extra middleware, run inside the standard ones (just around the handler). */
  middleware?: Middleware[];
}

export interface ConsumerDefinition {
  name: string;
  topic: string;
  subscription: string;
  type: SubscriptionType;
  concurrency: number;
  handler: Handler;
  maxAttempts: number;
  backoff: BackoffOptions;
  deadLetterTopic: string;
  timeoutMs: number;
  dedupe: DedupeStore | false | undefined;
  initialPosition: InitialPosition;
  middleware: Middleware[];
}

export function defineConsumer(input: ConsumerDefinitionInput): ConsumerDefinition {
  const topic = fullTopicName(input.topic);
  const concurrency = input.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`consumer ${input.subscription}: concurrency must be an integer >= 1`);
  const maxAttempts = input.retry?.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`consumer ${input.subscription}: retry.maxAttempts must be >= 1`);
  let timeoutMs = input.timeoutMs ?? 30_000;
  if (timeoutMs === Infinity) timeoutMs = 0;
  // Node's timers cannot wait longer: a larger delay would fire after 1 ms.
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMER_DELAY_MS)
    throw new RangeError(
      `consumer ${input.subscription}: timeoutMs must be an integer from 0 (no limit) to ${MAX_TIMER_DELAY_MS}`,
    );
  return {
    name: input.name ?? input.subscription,
    topic,
    subscription: input.subscription,
    type: input.type ?? 'KeyShared',
    concurrency,
    handler: input.handler,
    maxAttempts,
    backoff: input.retry?.backoff ?? {},
    deadLetterTopic: input.deadLetter?.topic
      ? fullTopicName(input.deadLetter.topic)
      : deadLetterTopicName(topic, input.subscription),
    timeoutMs,
    dedupe: input.dedupe,
    initialPosition: input.initialPosition ?? 'Earliest',
    middleware: input.middleware ?? [],
  };
}
