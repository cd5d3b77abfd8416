/** What a consumer is: a topic, a subscription, a handler and how to treat failures. */
import type { InitialPosition, SubscriptionType } from '../broker/index.js';
import {
  deadLetterTopicName,
  retryTopicName,
  MAX_TIMER_DELAY_MS,
  parseTopicName,
  type TopicName,
} from '../broker/index.js';
import { checkBackoffOptions, type BackoffOptions } from './backoff.js';
import type { DedupeStore } from './dedupe-store.js';
import { asyncHandler, type ConsumerHandler, type Handler, type Middleware } from './handler.js';

export interface ConsumerDefinitionInput {
  /** Name in logs, metrics and /readyz. Default: the subscription. */
  name?: string;
  topic: string;
  subscription: string;
  /**
   * Default 'KeyShared'. 'Exclusive' and 'Failover' take `retry.maxAttempts: 1` only: the broker
   * delays the retry letter topic's messages on Shared and KeyShared subscriptions only, so their
   * retries would ignore every backoff and RetryLaterError delay.
   */
  type?: SubscriptionType;
  /**
   * Handlers running at once, 1 to 10,000. Default 8. The consumer asks the broker for twice
   * this many messages ahead, so a bound keeps a typo from buffering millions in memory.
   */
  concurrency?: number;
  /** Synchronous or async: returning is success, throwing or rejecting a failed attempt. */
  handler: ConsumerHandler;
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
  /**
   * With a DeliveryJournal in the runner's deps: a message the process died in this many times
   * while it ran alone (after a crash, what was in flight runs alone) is dead-lettered
   * (CRASH_LOOP) instead of run again. Default 3.
   */
  maxCrashes?: number;
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
  maxCrashes: number;
}

/** Most handlers one consumer runs at once. */
export const MAX_CONCURRENCY = 10_000;

/** The options of each object a definition holds: any other key is a typo, refused. */
const INPUT_KEYS: readonly (keyof ConsumerDefinitionInput)[] = [
  'name',
  'topic',
  'subscription',
  'type',
  'concurrency',
  'handler',
  'retry',
  'deadLetter',
  'timeoutMs',
  'dedupe',
  'initialPosition',
  'middleware',
  'maxCrashes',
];
const RETRY_KEYS = ['maxAttempts', 'backoff'] as const;
const DEAD_LETTER_KEYS = ['topic'] as const;

export function defineConsumer(input: ConsumerDefinitionInput): ConsumerDefinition {
  if (input === undefined) throw new TypeError('defineConsumer: its argument must be an object');
  checkObject('defineConsumer', 'its argument', input);
  const subscription = checkSubscriptionName(input.subscription);
  // Names the consumer in every message below; the subscription is known to be valid now.
  const label = `consumer ${subscription}`;
  checkKeys(label, 'defineConsumer', input, INPUT_KEYS);
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name === ''))
    throw new TypeError(`${label}: name must be a non-empty string`);
  if (typeof input.handler !== 'function')
    throw new TypeError(`${label}: handler must be a function (got ${typeof input.handler})`);
  const topic = consumerTopicName(label, 'topic', input.topic);
  const type = checkSubscriptionType(label, input.type ?? 'KeyShared');
  const concurrency = input.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new RangeError(`${label}: concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  checkObject(label, 'retry', input.retry);
  checkKeys(label, 'retry', input.retry, RETRY_KEYS);
  const maxAttempts = input.retry?.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`${label}: retry.maxAttempts must be >= 1`);
  if ((type === 'Exclusive' || type === 'Failover') && maxAttempts > 1)
    throw new RangeError(
      `${label}: a ${type} subscription cannot retry (retry.maxAttempts is ${maxAttempts}): ` +
        'the broker delays retries only on Shared and KeyShared subscriptions, so every backoff ' +
        "and RetryLaterError delay would be ignored; use type 'KeyShared' (per-key order) or " +
        "'Shared', or retry.maxAttempts: 1 to dead-letter a failed message at once",
    );
  const backoff = checkBackoffOptions(label, 'retry.backoff', input.retry?.backoff ?? {});
  let timeoutMs = input.timeoutMs ?? 30_000;
  if (timeoutMs === Infinity) timeoutMs = 0;
  // Node's timers cannot wait longer: a larger delay would fire after 1 ms.
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMER_DELAY_MS)
    throw new RangeError(
      `${label}: timeoutMs must be an integer from 0 (no limit) to ${MAX_TIMER_DELAY_MS}`,
    );
  checkObject(label, 'deadLetter', input.deadLetter);
  checkKeys(label, 'deadLetter', input.deadLetter, DEAD_LETTER_KEYS);
  const deadLetterTopic =
    input.deadLetter?.topic !== undefined
      ? consumerTopicName(label, 'deadLetter.topic', input.deadLetter.topic)
      : deadLetterTopicName(topic, subscription);
  // A dead letter stored where this consumer reads would come straight back, for ever.
  if (deadLetterTopic === topic || deadLetterTopic === retryTopicName(topic, subscription))
    throw new RangeError(
      `${label}: deadLetter.topic must not be the topic it consumes or its retry topic (got ${describe(deadLetterTopic)})`,
    );
  // null, as JavaScript callers write "none", is false.
  const dedupe =
    (input.dedupe as DedupeStore | false | null | undefined) === null ? false : input.dedupe;
  if (
    dedupe !== undefined &&
    dedupe !== false &&
    (typeof dedupe?.has !== 'function' || typeof dedupe?.add !== 'function')
  )
    throw new TypeError(`${label}: dedupe must be false or a DedupeStore (has, add)`);
  const initialPosition = input.initialPosition ?? 'Earliest';
  if (!INITIAL_POSITIONS.includes(initialPosition))
    throw new RangeError(
      `${label}: initialPosition must be one of ${INITIAL_POSITIONS.join(', ')} (got ${JSON.stringify(initialPosition)})`,
    );
  const middleware = input.middleware ?? [];
  if (!Array.isArray(middleware) || !middleware.every((m) => typeof m === 'function'))
    throw new TypeError(`${label}: middleware must be an array of functions`);
  const maxCrashes = input.maxCrashes ?? 3;
  if (!Number.isInteger(maxCrashes) || maxCrashes < 1)
    throw new RangeError(`${label}: maxCrashes must be an integer >= 1`);
  return {
    name: input.name ?? subscription,
    topic,
    subscription,
    type,
    concurrency,
    handler: asyncHandler(input.handler),
    maxAttempts,
    backoff,
    deadLetterTopic,
    timeoutMs,
    dedupe,
    initialPosition,
    middleware,
    maxCrashes,
  };
}

const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'KeyShared',
  'Shared',
  'Exclusive',
  'Failover',
];
const INITIAL_POSITIONS: readonly InitialPosition[] = ['Earliest', 'Latest'];
/** Pulsar's rule for tenant and namespace names: the broker refuses any other. */
const NAMED_ENTITY = /^[-=:.\w]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** `.` and `..` would be read as path steps in the admin API's URLs. */
const DOTS = /^\.+$/;

function checkObject(label: string, option: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new TypeError(`${label}: ${option} must be an object`);
}

/** Refuses a key the object does not take: a misspelt option would silently be its default. */
function checkKeys(
  label: string,
  option: string,
  value: object | undefined,
  known: readonly string[],
): void {
  if (value === undefined) return;
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw new TypeError(
        `${label}: ${option} has no option ${JSON.stringify(key)} (it takes ${known.join(', ')})`,
      );
}

/**
 * A subscription name is part of the retry and dead-letter topic names
 * (`<topic>-<subscription>-RETRY`), so it must fit in a topic name: no `/`, no control character.
 */
function checkSubscriptionName(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('/') || CONTROL.test(value))
    throw new TypeError(
      `defineConsumer: subscription must be a non-empty string without "/" or control characters (got ${describe(value)})`,
    );
  return value;
}

function checkSubscriptionType(label: string, value: unknown): SubscriptionType {
  if (!SUBSCRIPTION_TYPES.includes(value as SubscriptionType))
    throw new RangeError(
      `${label}: type must be one of ${SUBSCRIPTION_TYPES.join(', ')} (got ${describe(value)})`,
    );
  return value as SubscriptionType;
}

/**
 * The full name of a topic the consumer reads or writes, refusing what the broker would refuse
 * or read as another topic (`persistent://x` is not `persistent://public/default/x`).
 */
function consumerTopicName(label: string, option: string, value: unknown): string {
  const refuse = (why: string) =>
    new TypeError(
      `${label}: ${option} must be a topic name (name, tenant/namespace/name or persistent://tenant/namespace/name): ${why} (got ${describe(value)})`,
    );
  if (typeof value !== 'string') throw refuse('not a string');
  let name: TopicName;
  try {
    name = parseTopicName(value);
  } catch {
    throw refuse('not one of these forms');
  }
  if (value.includes('://') && name.full !== value) throw refuse('a full name needs all 3 parts');
  for (const part of [name.tenant, name.namespace])
    if (!NAMED_ENTITY.test(part) || DOTS.test(part))
      throw refuse('tenant and namespace take letters, digits and - _ = : . only');
  if (CONTROL.test(name.local) || DOTS.test(name.local))
    throw refuse('the name has a control character or is only dots');
  // Retries and dead letters are messages stored until handled; a non-persistent topic drops
  // what no consumer is connected to take.
  if (name.domain !== 'persistent')
    throw new RangeError(`${label}: ${option} must be a persistent topic (got ${describe(value)})`);
  return name.full;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value as never);
}
