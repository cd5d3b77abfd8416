/**
 * The event envelope carried on topics as JSON, and the message properties every published
 * message gets. Consumers decode with `decodeEvent`, which rejects a malformed payload with
 * MalformedEventError: retried like any failure (the usual cause is version skew a deploy
 * fixes), then dead-lettered once the attempts are used up.
 */
import { MalformedEventError } from './errors.js';

export interface DomainEvent {
  eventId: string;
  type: string;
  userId: string;
  itemId?: string;
  properties?: Record<string, unknown>;
  /** ISO 8601. */
  occurredAt: string;
}

/** Property names set on every message the publisher sends. */
export const EVENT_PROPERTIES = {
  eventId: 'eventId',
  eventType: 'eventType',
  requestId: 'requestId',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  contentType: 'content-type',
} as const;

export function encodeEvent(event: DomainEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

export function decodeEvent(data: Buffer): DomainEvent {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new MalformedEventError('payload is not JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MalformedEventError('payload is not a JSON object');
  const v = value as Record<string, unknown>;
  for (const field of ['eventId', 'type', 'userId', 'occurredAt'] as const) {
    if (typeof v[field] !== 'string' || (v[field] as string).length === 0)
      throw new MalformedEventError(`field ${field} must be a non-empty string`);
  }
  if (Number.isNaN(Date.parse(v.occurredAt as string)))
    throw new MalformedEventError('field occurredAt must be an ISO 8601 time');
  if (v.itemId !== undefined && typeof v.itemId !== 'string')
    throw new MalformedEventError('field itemId must be a string');
  if (
    v.properties !== undefined &&
    (typeof v.properties !== 'object' || v.properties === null || Array.isArray(v.properties))
  )
    throw new MalformedEventError('field properties must be an object');
  return v as unknown as DomainEvent;
}
