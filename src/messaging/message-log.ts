/**
 * What a log line about one message says of it: where it is (topic, subscription, id) and
 * what ties it to the request that published it (eventId, requestId and the W3C trace id),
 * so an operator can go from a failed handler to the API request and back.
 */
import type { Message } from '../broker/index.js';
import { EVENT_PROPERTIES } from './event.js';
import { parseTraceparent } from './trace-context.js';

export interface MessageLogFields {
  topic: string;
  subscription: string;
  messageId: string;
  eventId?: string;
  requestId?: string;
  traceId?: string;
}

export function messageLogFields(message: Message, subscription: string): MessageLogFields {
  const properties = message.getProperties();
  const fields: MessageLogFields = {
    topic: message.getTopicName(),
    subscription,
    messageId: message.getMessageId().toString(),
  };
  const eventId = properties[EVENT_PROPERTIES.eventId];
  if (eventId !== undefined) fields.eventId = eventId;
  const requestId = properties[EVENT_PROPERTIES.requestId];
  if (requestId !== undefined) fields.requestId = requestId;
  const trace = parseTraceparent(properties[EVENT_PROPERTIES.traceparent]);
  if (trace !== undefined) fields.traceId = trace.traceId;
  return fields;
}
