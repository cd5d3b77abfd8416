/**
 * The event pipeline of one process: the broker, the publisher the API uses, the reference
 * consumers (for the roles that run them), dead-letter admin, readiness checks and shutdown
 * hooks in the right phases (consumers drain, then the publisher flushes, then the broker
 * closes).
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker, ProducerMessage } from '../../broker/index.js';
import type { Config } from '../../config/index.js';
import {
  ConsumerRunner,
  DeadLetterAdmin,
  ProducerPool,
  Publisher,
  backoffDelay,
  defineConsumer,
  instrumentedSend,
  retainingDeadLetterSink,
  type ConsumerDefinitionInput,
  type DomainEvent,
  type MessagingMetrics,
  type PublisherOptions,
} from '../../messaging/index.js';
import { createMessagingMetrics } from '../../observability/metrics.js';
import { activityConsumer } from '../activity/activity-consumer.js';
import { openServiceDatabase, SERVICE_DB_FILE, startCheckpoints } from '../db/database.js';
import { AppEventPublisher } from '../events/event-publisher.js';
import type { Readiness } from '../readiness.js';
import { recommendationConsumer } from '../recommendations/recommendation-consumer.js';
import type { ShutdownSequence } from '../shutdown.js';
import { ConnectingBroker } from './connecting-broker.js';
import { SqliteDeliveryJournal } from './sqlite-delivery-journal.js';
import { createServiceBroker } from './create-broker.js';
import type { Tracing } from '../../observability/tracing.js';

export type PipelineRole = 'start' | 'api' | 'worker';

export interface EventPipelineOptions {
  role: PipelineRole;
  /** Overrides for both reference consumers (tests shorten retries). */
  consumers?: Partial<ConsumerDefinitionInput>;
  publisher?: PublisherOptions;
  /** Use this broker instead of the configured one (tests wrap it to inject faults). */
  broker?: Broker;
  /**
   * How the reference consumers read payloads. Default `decodeEvent`; a deployment that must
   * accept an older or newer event format passes its own (then replays the dead letters).
   */
  decode?: (data: Buffer) => DomainEvent;
}

export interface EventPipeline {
  broker: Broker;
  publisher: Publisher;
  events: AppEventPublisher;
  deadLetters: DeadLetterAdmin;
  consumers: ConsumerRunner[];
  metrics: MessagingMetrics;
}

export interface PipelineHost {
  config: Config;
  logger: Logger;
  registry: Registry;
  dataDir: string;
  readiness: Readiness;
  shutdown: ShutdownSequence;
  /** OpenTelemetry tracing, when on: publish and consume spans. */
  tracing?: Pick<Tracing, 'tracer'>;
}

export async function startEventPipeline(
  host: PipelineHost,
  options: EventPipelineOptions,
): Promise<EventPipeline> {
  const { config, logger, shutdown, readiness } = host;
  const log = logger.child({ component: 'events' });
  const broker = options.broker ?? (await createServiceBroker(config, host.dataDir, log));
  shutdown.register('broker', 'broker', () => broker.close());
  const waiting = broker instanceof ConnectingBroker ? broker : undefined;
  readiness.add('broker', () =>
    broker.isConnected()
      ? { ok: true }
      : { ok: false, detail: broker.notConnectedReason?.() ?? 'broker not connected' },
  );

  const metrics = createMessagingMetrics(host.registry);
  const tracer = host.tracing?.tracer;
  const publisher = new Publisher(broker, {
    service: options.role,
    metrics,
    tracer,
    ...options.publisher,
  });
  shutdown.register('publisher', 'publisher', () => publisher.close());
  // Dead letters and replays get their own producers, outside the API's in-flight bound.
  const letters = new ProducerPool(broker);
  shutdown.register('publisher', 'letter-producers', () => letters.close());
  const sendLetter = async (topic: string, m: ProducerMessage) =>
    (await letters.get(topic)).send(m);
  // A replay is a publish to the original topic: counted, timed and traced as the API's are.
  const replaySend = instrumentedSend(sendLetter, {
    service: options.publisher?.service ?? options.role,
    metrics,
    tracer,
    now: options.publisher?.now,
  });
  const deadLetters = new DeadLetterAdmin(broker, replaySend);
  const deadLetterSink = retainingDeadLetterSink(broker, sendLetter);

  const consumers: ConsumerRunner[] = [];
  if (options.role !== 'api') {
    const db: Database = openServiceDatabase(join(host.dataDir, SERVICE_DB_FILE));
    shutdown.register('database', 'consumer-db', () => {
      db.close();
    });
    shutdown.register('database', 'consumer-db-checkpoints', startCheckpoints(db));
    const journal = new SqliteDeliveryJournal(db);
    for (const input of [
      activityConsumer(db, options.consumers, options.decode),
      recommendationConsumer(db, options.consumers, options.decode),
    ]) {
      const definition = defineConsumer(input);
      const runner = new ConsumerRunner(definition, {
        broker,
        deadLetterSink,
        metrics,
        journal,
        tracer,
        logger: log.child({ consumer: definition.name }),
      });
      consumers.push(runner);
      readiness.add(`consumer:${definition.name}`, () => {
        const s = runner.status();
        return runner.isHealthy()
          ? { ok: true, detail: `running, ${s.inFlight} in flight` }
          : { ok: false, detail: s.lastError ? `${s.state}: ${s.lastError}` : s.state };
      });
      shutdown.register('consumers', `consumer:${definition.name}`, () =>
        runner.stop(config.shutdownTimeoutMs),
      );
    }
    if (waiting?.waitingFor === undefined) {
      for (const runner of consumers) await runner.start();
    } else {
      // Started once the broker is reached; readiness shows them idle until then. No process
      // restart would follow a failure here, so each one is tried again until it runs.
      waiting.ready
        .then(() => Promise.all(consumers.map((r) => startUntilRunning(r, shutdown, log))))
        .catch(() => undefined); // closed before it connected: shutting down
    }
  }
  log.info(
    { role: options.role, broker: broker.kind, consumers: consumers.map((c) => c.definition.name) },
    'event pipeline started',
  );
  return {
    broker,
    publisher,
    events: new AppEventPublisher(publisher),
    deadLetters,
    consumers,
    metrics,
  };
}

/** Starts a consumer, trying again with backoff while it fails, until it runs or shutdown. */
async function startUntilRunning(
  runner: ConsumerRunner,
  shutdown: ShutdownSequence,
  log: Logger,
): Promise<void> {
  for (let attempt = 1; !shutdown.started; attempt++) {
    try {
      await runner.start();
      return;
    } catch (err) {
      log.warn(
        { err, consumer: runner.definition.name, attempt },
        'consumer could not start; trying again',
      );
      await delay(backoffDelay(attempt, { initialMs: 500, maxMs: 5000 }), undefined, {
        ref: false,
      });
    }
  }
}
