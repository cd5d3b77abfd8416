import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker } from '../broker/index.js';
import type { Config } from '../config/index.js';
import type { Readiness } from './readiness.js';
import type { EventPipeline } from './pipeline/event-pipeline.js';
import type { TraceProperties } from '../messaging/trace-context.js';
import type { Tracing } from '../observability/tracing.js';

/** A domain event as the API hands it to the event pipeline. */
export interface DomainEvent {
  type: string;
  userId: string;
  itemId?: string;
  properties?: Record<string, string>;
  /** ISO 8601; defaults to the time of publishing. */
  occurredAt?: string;
}

/** The request an event is published for: its id and the trace context it came with. */
export interface RequestOrigin {
  requestId?: string;
  trace?: TraceProperties;
}

/** What the API needs from the event pipeline's publisher. */
export interface DomainEventPublisher {
  /** Resolves once the broker stored the event; rejects with an AppError when it cannot. */
  publish(event: DomainEvent, origin?: RequestOrigin): Promise<unknown>;
}

/** Everything the app factory needs, created once by the caller and passed in. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The process's one metrics registry (never prom-client's global one). */
  registry: Registry;
  /** The service database (users, ...), migrated. */
  db: Database;
  jwtSecret: string;
  readiness: Readiness;
  now?: () => Date;
  /** The event pipeline, when it runs in this process. */
  broker?: Broker;
  publisher?: DomainEventPublisher;
  /** OpenTelemetry tracing, when an OTLP endpoint is configured: request spans. */
  tracing?: Pick<Tracing, 'fastifyPlugin'>;
  /** The whole pipeline (consumers, dead letters, topics) for the event and admin routes. */
  pipeline?: EventPipeline;
}
