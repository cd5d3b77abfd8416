/**
 * Properties the retry and dead-letter middleware put on messages. The Pulsar clients' names
 * (REAL_TOPIC, ORIGIN_MESSAGE_ID, RECONSUMETIMES) are kept so Pulsar tooling reads them; the
 * rest say why a message failed.
 */
import { RETRY_PROPERTIES, type Message } from '../broker/index.js';
import type { MessageContext } from './handler.js';

export const FAILURE_PROPERTIES = {
  /** Message of the last error. */
  error: 'MAGNETAR_ERROR',
  /** Stable code of the last error; empty when it has none. */
  errorCode: 'MAGNETAR_ERROR_CODE',
  /** Attempts made (deliveries that ran the handler and failed). */
  attempts: 'MAGNETAR_ATTEMPTS',
  /** ISO time of the first failure. */
  firstFailureAt: 'MAGNETAR_FIRST_FAILURE_AT',
  /** ISO time of the last failure. */
  lastFailureAt: 'MAGNETAR_LAST_FAILURE_AT',
  /** Subscription that gave up on the message. */
  subscription: 'MAGNETAR_SUBSCRIPTION',
  originalTopic: RETRY_PROPERTIES.realTopic,
  originalMessageId: RETRY_PROPERTIES.originMessageId,
} as const;

/** Properties that describe a past delivery; stripped when a dead letter is replayed. */
export const DELIVERY_PROPERTIES: readonly string[] = [
  ...Object.values(FAILURE_PROPERTIES),
  RETRY_PROPERTIES.reconsumeTimes,
  RETRY_PROPERTIES.delayTime,
];

export function reconsumeTimes(properties: Record<string, string>): number {
  const n = Number(properties[RETRY_PROPERTIES.reconsumeTimes] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** What the retry and dead-letter middleware record about a failed attempt. */
export function failureProperties(
  message: Message,
  ctx: Pick<MessageContext, 'attempt' | 'now' | 'subscription'>,
  error: Error,
): Record<string, string> {
  const previous = message.getProperties();
  const nowIso = new Date(ctx.now()).toISOString();
  const out: Record<string, string> = {
    [FAILURE_PROPERTIES.error]: errorText(error).slice(0, 1000),
    [FAILURE_PROPERTIES.attempts]: String(ctx.attempt),
    [FAILURE_PROPERTIES.firstFailureAt]: previous[FAILURE_PROPERTIES.firstFailureAt] ?? nowIso,
    [FAILURE_PROPERTIES.lastFailureAt]: nowIso,
    [FAILURE_PROPERTIES.subscription]: ctx.subscription,
    [FAILURE_PROPERTIES.originalTopic]:
      previous[FAILURE_PROPERTIES.originalTopic] ?? message.getTopicName(),
    [FAILURE_PROPERTIES.originalMessageId]:
      previous[FAILURE_PROPERTIES.originalMessageId] ?? message.getMessageId().toString(),
  };
  // Always written, empty when this error has none: the previous attempt's code must not stay.
  const code = read(error, 'code');
  out[FAILURE_PROPERTIES.errorCode] =
    typeof code === 'string' || typeof code === 'number' ? String(code) : '';
  return out;
}

/**
 * Why the attempt failed, whatever the thrown value looks like: recording the failure must not
 * fail, or the retry is never scheduled and the message is redelivered at once, again and again.
 * A message that is not a string is stringified; without one the error's name stands in.
 */
function errorText(error: unknown): string {
  const message = read(error, 'message');
  if (typeof message === 'string' && message !== '') return message;
  if (message !== undefined && message !== null && message !== '') return stringify(message);
  const name = read(error, 'name');
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

/** A property of something thrown; undefined when reading it throws (a getter, a proxy). */
function read(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function stringify(value: unknown): string {
  try {
    if (typeof value === 'object' && value !== null) {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    }
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
