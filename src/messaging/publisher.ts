/**
 * The publisher routes use. It bounds the publishes waiting for a broker receipt and refuses
 * at once (PublishRejectedError, which the HTTP layer answers with 503 + Retry-After) when the
 * bound is reached or the broker is not connected, instead of queueing without limit.
 * Every message carries the request id and the W3C trace context of the caller.
 */
import type { Broker, MessageId, Producer, ProducerMessage } from '../broker/index.js';
import { fullTopicName, isBrokerError } from '../broker/index.js';
import { PublishRejectedError } from './errors.js';
import { EVENT_PROPERTIES, encodeEvent, type DomainEvent } from './event.js';
import { noopMetrics, type MessagingMetrics } from './metrics.js';
import { ProducerPool, type ProducerDefaults } from './producer-pool.js';
import { traceProperties, type TraceProperties } from './trace-context.js';
import { parentContext } from './middleware/tracing.js';
import { endWithError, startSendSpan } from './instrumented-send.js';
import { context, trace, type Tracer } from '@opentelemetry/api';

export interface PublisherOptions {
  /** `service` label of messaging_messages_sent_total. Default 'magnetar'. */
  service?: string;
  /** Publishes allowed to wait for a receipt at once. Default 10000. */
  maxInFlight?: number;
  /** Retry-After hint on refusals. Default 1 s. */
  retryAfterSeconds?: number;
  /** Producer settings; sendTimeoutMs defaults to 5000 here so a stuck broker fails fast. */
  producer?: ProducerDefaults;
  metrics?: MessagingMetrics;
  now?: () => number;
  /**
   * With tracing on: a PRODUCER span per publish (a child of the active span, else of the
   * request's own trace context), ended at the broker's receipt; the messages carry it.
   */
  tracer?: Tracer;
}

export interface PublishOptions {
  /** Partition and Key_Shared key. */
  key?: string;
  properties?: Record<string, string>;
  requestId?: string;
  /**
   * The trace context of the request this publish is made for (`traceFromHeaders`); used
   * when no span is active, so the message still continues the caller's trace.
   */
  trace?: TraceProperties;
  eventTimestamp?: number;
  deliverAfter?: number;
}

export interface OutgoingMessage extends PublishOptions {
  data: Buffer;
}

export class Publisher {
  private readonly pool: ProducerPool;
  private readonly service: string;
  private readonly maxInFlight: number;
  private readonly retryAfterSeconds: number;
  private readonly metrics: MessagingMetrics;
  private readonly now: () => number;
  private readonly tracer: Tracer | undefined;
  private inFlightCount = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly broker: Broker,
    options: PublisherOptions = {},
  ) {
    this.service = options.service ?? 'magnetar';
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.metrics = options.metrics ?? noopMetrics;
    this.now = options.now ?? Date.now;
    this.tracer = options.tracer;
    this.pool = new ProducerPool(broker, {
      sendTimeoutMs: 5000,
      maxPendingMessages: this.maxInFlight,
      ...options.producer,
    });
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get capacity(): number {
    return this.maxInFlight;
  }

  /** True when a publish would be attempted (not refused up front). */
  isAvailable(): boolean {
    return !this.closed && this.broker.isConnected() && this.inFlightCount < this.maxInFlight;
  }

  /** One message: the path a route's single event takes, without the batch bookkeeping. */
  async publish(name: string, message: OutgoingMessage): Promise<MessageId> {
    const { topic, started, traceOf, span } = this.reserve(name, [message.trace]);
    try {
      const producer = this.pool.ready(topic) ?? (await this.producerFor(topic));
      let id: MessageId;
      try {
        id = await producer.send(this.toProducerMessage(message, traceOf(message)));
      } catch (err) {
        this.metrics.publishDone(topic, this.service, 'error', (this.now() - started) / 1000);
        throw this.rejection(err, 'BROKER_UNAVAILABLE', 'the broker did not store the message');
      }
      this.metrics.publishDone(topic, this.service, 'ok', (this.now() - started) / 1000);
      span?.setAttribute('messaging.message.id', id.toString());
      return id;
    } catch (err) {
      endWithError(span, err);
      throw err;
    } finally {
      this.settle(1);
      span?.end();
    }
  }

  /**
   * Publishes a domain event keyed by its userId, with the request id and the request's
   * trace context (used when no span is active) of the request it is published for.
   */
  publishEvent(
    topic: string,
    event: DomainEvent,
    requestId?: string,
    trace?: TraceProperties,
  ): Promise<MessageId> {
    return this.publish(topic, toOutgoing(event, requestId, trace));
  }

  publishEvents(
    topic: string,
    events: DomainEvent[],
    requestId?: string,
    trace?: TraceProperties,
  ): Promise<MessageId[]> {
    if (events.length === 1)
      return this.publish(topic, toOutgoing(events[0], requestId, trace)).then((id) => [id]);
    return this.publishMany(
      topic,
      events.map((e) => toOutgoing(e, requestId, trace)),
    );
  }

  /**
   * Reserves room for all messages at once (all or none are attempted), then sends them
   * concurrently so the broker can batch them into one commit.
   */
  async publishMany(name: string, messages: OutgoingMessage[]): Promise<MessageId[]> {
    const { topic, started, traceOf, span } = this.reserve(
      name,
      messages.map((m) => m.trace),
    );
    try {
      const producer = this.pool.ready(topic) ?? (await this.producerFor(topic));
      const results = await Promise.allSettled(
        messages.map((m) => producer.send(this.toProducerMessage(m, traceOf(m)))),
      );
      const ids: MessageId[] = [];
      let failure: unknown;
      for (const r of results) {
        if (r.status === 'fulfilled') ids.push(r.value);
        else failure ??= r.reason;
      }
      const seconds = (this.now() - started) / 1000;
      for (let i = 0; i < ids.length; i++)
        this.metrics.publishDone(topic, this.service, 'ok', seconds);
      if (failure !== undefined) {
        const failed = messages.length - ids.length;
        for (let i = 0; i < failed; i++)
          this.metrics.publishDone(topic, this.service, 'error', seconds);
        throw this.rejection(failure, 'BROKER_UNAVAILABLE', 'the broker did not store the message');
      }
      return ids;
    } catch (err) {
      endWithError(span, err);
      throw err;
    } finally {
      this.settle(messages.length);
      span?.end();
    }
  }

  /**
   * Admits `count` publishes (or throws the refusal) and counts them in flight. Synchronous, so
   * the caller's trace context is read before any await.
   */
  private reserve(name: string, requestTraces: ReadonlyArray<TraceProperties | undefined>) {
    const topic = fullTopicName(name);
    const count = requestTraces.length;
    const started = this.now();
    this.admit(topic, count, started);
    this.inFlightCount += count;
    this.metrics.publishInFlight(count);
    const active = traceProperties();
    // The active span is this service's own part of the trace; without one a message
    // continues the trace of the request it was published for.
    const own = (m: OutgoingMessage) => (active.traceparent !== undefined ? active : m.trace);
    if (this.tracer === undefined) return { topic, started, traceOf: own, span: undefined };
    let parent = context.active();
    let adopted: string | undefined;
    if (active.traceparent === undefined) {
      // The requests' trace, when the messages share one: the send continues it.
      adopted = requestTraces[0]?.traceparent;
      if (requestTraces.some((t) => t?.traceparent !== adopted)) adopted = undefined;
      if (adopted !== undefined) parent = parentContext(requestTraces[0] as Record<string, string>);
    }
    const span = startSendSpan(this.tracer, topic, parent, count);
    const sent = traceProperties(trace.setSpan(parent, span));
    // A message whose own trace the send does not continue (messages of several requests
    // sent together with no span active) keeps its own.
    const traceOf = (m: OutgoingMessage) =>
      active.traceparent === undefined &&
      m.trace?.traceparent !== undefined &&
      m.trace.traceparent !== adopted
        ? m.trace
        : sent;
    return { topic, started, traceOf, span };
  }

  private producerFor(topic: string): Promise<Producer> {
    return this.pool.get(topic).catch((err: unknown) => {
      throw this.rejection(err, 'BROKER_UNAVAILABLE', 'the broker is unavailable');
    });
  }

  private settle(count: number): void {
    this.inFlightCount -= count;
    this.metrics.publishInFlight(-count);
    if (this.inFlightCount === 0) for (const wake of this.idle) wake();
  }

  /** Waits until no publish is waiting for a receipt, then flushes the producers. */
  async flush(): Promise<void> {
    if (this.inFlightCount > 0)
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.idle.delete(wake);
          resolve();
        };
        this.idle.add(wake);
      });
    await this.pool.flush();
  }

  /** Refuses new publishes, waits for the ones in flight, closes the producers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.pool.close();
  }

  private admit(topic: string, count: number, started: number): void {
    let refusal: PublishRejectedError | undefined;
    if (this.closed)
      refusal = new PublishRejectedError(
        'PUBLISHER_CLOSED',
        'the service is shutting down',
        this.retryAfterSeconds,
      );
    else if (!this.broker.isConnected())
      refusal = new PublishRejectedError(
        'BROKER_UNAVAILABLE',
        'the broker is not connected',
        this.retryAfterSeconds,
      );
    else if (this.inFlightCount + count > this.maxInFlight)
      refusal = new PublishRejectedError(
        'PUBLISHER_FULL',
        `too many publishes in flight (${this.inFlightCount} of ${this.maxInFlight})`,
        this.retryAfterSeconds,
      );
    if (refusal) {
      const seconds = (this.now() - started) / 1000;
      for (let i = 0; i < count; i++)
        this.metrics.publishDone(topic, this.service, 'rejected', seconds);
      throw refusal;
    }
  }

  private rejection(
    err: unknown,
    code: 'BROKER_UNAVAILABLE',
    message: string,
  ): PublishRejectedError | unknown {
    if (err instanceof PublishRejectedError) return err;
    if (isBrokerError(err, 'ProducerQueueIsFull'))
      return new PublishRejectedError(
        'PUBLISHER_FULL',
        'the producer queue is full',
        this.retryAfterSeconds,
        {
          cause: err,
        },
      );
    if (
      isBrokerError(err, 'NotConnected') ||
      isBrokerError(err, 'Timeout') ||
      isBrokerError(err, 'AlreadyClosed') ||
      // A topic the cluster does not have is its configuration to fix; the API's clients
      // get the same 503 as for a broker that is away, and retry.
      isBrokerError(err, 'TopicNotFound') ||
      isBrokerError(err, 'Internal')
    )
      return new PublishRejectedError(code, message, this.retryAfterSeconds, { cause: err });
    return err;
  }

  private toProducerMessage(
    m: OutgoingMessage,
    trace: TraceProperties | undefined,
  ): ProducerMessage {
    // The producer copies the properties it stores, so this object is never shared.
    const properties: Record<string, string> =
      m.properties === undefined ? {} : { ...m.properties };
    if (trace?.traceparent !== undefined) properties.traceparent = trace.traceparent;
    if (trace?.tracestate !== undefined) properties.tracestate = trace.tracestate;
    if (m.requestId) properties[EVENT_PROPERTIES.requestId] = m.requestId;
    const out: ProducerMessage = { data: m.data, properties };
    if (m.key !== undefined) out.partitionKey = m.key;
    if (m.eventTimestamp !== undefined) out.eventTimestamp = m.eventTimestamp;
    if (m.deliverAfter !== undefined) out.deliverAfter = m.deliverAfter;
    return out;
  }
}

function toOutgoing(
  event: DomainEvent,
  requestId: string | undefined,
  trace: TraceProperties | undefined,
): OutgoingMessage {
  return {
    data: encodeEvent(event),
    key: event.userId,
    requestId,
    trace,
    eventTimestamp: Date.parse(event.occurredAt),
    properties: {
      [EVENT_PROPERTIES.eventId]: event.eventId,
      [EVENT_PROPERTIES.eventType]: event.type,
      [EVENT_PROPERTIES.contentType]: 'application/json',
    },
  };
}
