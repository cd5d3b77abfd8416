/**
 * Dead letters as the admin shows and replays them: their description with the reason they
 * failed, the fresh copy a replay sends and where it goes, ids as the letters print them, and
 * the list's cursors.
 */
import { payloadText } from './payload-text.js';
import type { Message, MessageId, ProducerMessage } from '../broker/index.js';
import { parseMessageId } from '../broker/index.js';
import { DELIVERY_PROPERTIES, FAILURE_PROPERTIES } from './properties.js';
import type { DeadLetter } from './dead-letter-admin.js';

export const DLQ_SUFFIX = '-DLQ';

export class InvalidCursorError extends TypeError {
  readonly code = 'INVALID_CURSOR';
}

/**
 * Ids as the letters' own ids print, so `01:1:-1` or `1:1:-1:-1` (batch index -1) find the
 * letter `1:1:-1` as purge, which parses them, does. Text that is no id stays as it is and
 * matches nothing.
 */
export function idSet(ids: string[]): Set<string> {
  return new Set(
    ids.map((text) => {
      try {
        return parseMessageId(text).toString();
      } catch {
        return text;
      }
    }),
  );
}

export function isUpTo(id: MessageId, until: Map<number, MessageId>): boolean {
  const last = until.get(id.partition);
  return last !== undefined && id.compare(last) <= 0;
}

export function describe(topic: string, m: Message): DeadLetter {
  const p = m.getProperties();
  const get = (name: string) => p[name] ?? null;
  const attempts = Number(p[FAILURE_PROPERTIES.attempts]);
  return {
    deadLetterTopic: topic,
    messageId: m.getMessageId().toString(),
    key: m.getPartitionKey() ?? null,
    publishedAt: new Date(m.getPublishTimestamp()).toISOString(),
    reason: {
      error: get(FAILURE_PROPERTIES.error),
      errorCode: get(FAILURE_PROPERTIES.errorCode) || null,
      attempts: Number.isInteger(attempts) ? attempts : null,
      firstFailureAt: get(FAILURE_PROPERTIES.firstFailureAt),
      lastFailureAt: get(FAILURE_PROPERTIES.lastFailureAt),
      originalTopic: get(FAILURE_PROPERTIES.originalTopic),
      originalMessageId: get(FAILURE_PROPERTIES.originalMessageId),
      subscription: get(FAILURE_PROPERTIES.subscription),
    },
    properties: p,
    ...payloadText(m.getData()),
  };
}

/** The message as first published: payload, keys and its own properties, no failure history. */
export function freshCopy(m: Message): ProducerMessage {
  const properties = { ...m.getProperties() };
  for (const name of DELIVERY_PROPERTIES) delete properties[name];
  const out: ProducerMessage = { data: m.getData(), properties };
  const key = m.getPartitionKey();
  if (key !== undefined) out.partitionKey = key;
  const orderingKey = m.getOrderingKey();
  if (orderingKey !== undefined) out.orderingKey = orderingKey;
  if (m.getEventTimestamp() > 0) out.eventTimestamp = m.getEventTimestamp();
  return out;
}

/** Where a letter of `dlqTopic` is replayed to: the topic it records, else by the name. */
export function targetOf(dlqTopic: string, m: Message): string {
  return m.getProperties()[FAILURE_PROPERTIES.originalTopic] ?? originOf(dlqTopic);
}

/** `<topic>-<subscription>-DLQ` -> `<topic>`, for dead letters without REAL_TOPIC. */
export function originOf(dlqTopic: string): string {
  const base = dlqTopic.slice(0, -DLQ_SUFFIX.length);
  return base.slice(0, base.lastIndexOf('-'));
}

export function encodeCursor(c: { topic: string; id: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string): { topic: string; id: string } {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (
      typeof c === 'object' &&
      c !== null &&
      typeof (c as { topic?: unknown }).topic === 'string' &&
      typeof (c as { id?: unknown }).id === 'string'
    ) {
      parseMessageId((c as { id: string }).id);
      return c as { topic: string; id: string };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('cursor is not one this API returned');
}
