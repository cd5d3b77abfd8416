/**
 * The API's side of the event pipeline: turns a request's event into a DomainEvent (id,
 * time), publishes it keyed by userId on `user-events`, and maps a refusal of the publisher
 * to the catalogue's 503 errors with Retry-After.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../http/errors.js';
import { PublishRejectedError, type DomainEvent, type Publisher } from '../../messaging/index.js';
import { traceFromHeaders } from '../../messaging/trace-context.js';
import type { DomainEvent as EventInput, DomainEventPublisher, RequestOrigin } from '../deps.js';

export const USER_EVENTS_TOPIC = 'user-events';

/** The id of the request and the trace context its headers carry, for its messages. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { requestId: request.id, trace: traceFromHeaders(request.headers) };
}

export interface Accepted {
  eventId: string;
  messageId: string;
}

export class AppEventPublisher implements DomainEventPublisher {
  constructor(
    private readonly publisher: Publisher,
    private readonly topic = USER_EVENTS_TOPIC,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `eventId` defaults to a random one. */
  async publish(
    input: EventInput,
    origin: RequestOrigin = {},
    eventId?: string,
  ): Promise<Accepted> {
    const event = this.toEvent(input, eventId ?? randomUUID());
    try {
      const id = await this.publisher.publishEvent(
        this.topic,
        event,
        origin.requestId,
        origin.trace,
      );
      return { eventId: event.eventId, messageId: id.toString() };
    } catch (err) {
      throw toAppError(err);
    }
  }

  /** All events are admitted or none; resolves once the broker stored every one. */
  async publishBatch(
    inputs: EventInput[],
    origin: RequestOrigin = {},
    eventIdOf?: (index: number) => string,
  ): Promise<Accepted[]> {
    const events = inputs.map((input, i) =>
      this.toEvent(input, eventIdOf?.(i) ?? randomUUID(), `events.${i}.occurredAt`),
    );
    try {
      const ids = await this.publisher.publishEvents(
        this.topic,
        events,
        origin.requestId,
        origin.trace,
      );
      return ids.map((id, i) => ({ eventId: events[i].eventId, messageId: id.toString() }));
    } catch (err) {
      throw toAppError(err);
    }
  }

  /** True when a publish would be attempted now (for readiness and fast refusals). */
  isAvailable(): boolean {
    return this.publisher.isAvailable();
  }

  private toEvent(input: EventInput, eventId: string, field = 'occurredAt'): DomainEvent {
    const event: DomainEvent = {
      eventId,
      type: input.type,
      userId: input.userId,
      occurredAt: input.occurredAt ? toIsoTime(input.occurredAt, field) : this.now().toISOString(),
    };
    if (input.itemId !== undefined) event.itemId = input.itemId;
    if (input.properties !== undefined) event.properties = input.properties;
    return event;
  }
}

/** The times an RFC 3339 answer can hold: four-digit years. */
const MIN_TIME = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * `occurredAt` in UTC. The schema's date-time format admits what a Date cannot hold (a leap
 * second, :60) and offsets that push the year past 9999: both are a 400, not a 500.
 */
function toIsoTime(text: string, field: string): string {
  const t = Date.parse(text);
  if (Number.isNaN(t) || t < MIN_TIME || t > MAX_TIME)
    throw new AppError('VALIDATION_FAILED', {
      errors: [
        { field, message: 'must be a date-time in the years 0000 to 9999 (without a leap second)' },
      ],
    });
  return new Date(t).toISOString();
}

function toAppError(err: unknown): unknown {
  if (!(err instanceof PublishRejectedError)) return err;
  const headers = { 'retry-after': String(err.retryAfterSeconds) };
  const name =
    err.code === 'PUBLISHER_FULL'
      ? 'PUBLISHER_FULL'
      : err.code === 'PUBLISHER_CLOSED'
        ? 'SHUTTING_DOWN'
        : 'BROKER_UNAVAILABLE';
  return new AppError(name, null, { cause: err, headers });
}
