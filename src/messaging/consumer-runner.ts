/**
 * Runs one consumer definition: subscribes, receives with bounded concurrency (one message
 * at a time per key on ordered subscriptions), runs the middleware chain, acks, and drains
 * on stop (no new messages, in-flight ones finish and are acked within a deadline, then the
 * subscription is closed so anything unfinished is redelivered).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Broker, Consumer, Message } from '../broker/index.js';
import { isBrokerError } from '../broker/index.js';
import type { ConsumerDefinition } from './consumer-definition.js';
import { DEAD_LETTER_RETENTION_SUBSCRIPTION } from './dead-letter-sink.js';
import { MemoryDedupeStore } from './dedupe-store.js';
import { compose, silentLogger, type Handler, type HandlerLogger } from './handler.js';
import { KeyedScheduler } from './keyed-scheduler.js';
import { deliveryContext, type ConsumerScope } from './message-context.js';
import { noopMetrics, type MessagingMetrics } from './metrics.js';
import type { DeliveryJournal } from './delivery-journal.js';
import { crashGuard } from './middleware/crash-guard.js';
import { deadLetter, type DeadLetterSink } from './middleware/dead-letter.js';
import { dedupe } from './middleware/dedupe.js';
import { metrics as metricsMiddleware } from './middleware/metrics.js';
import { recover } from './middleware/recover.js';
import { retry } from './middleware/retry.js';
import { timeout } from './middleware/timeout.js';
import { tracing } from './middleware/tracing.js';
import type { Tracer } from '@opentelemetry/api';

export type ConsumerState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

export interface ConsumerStatus {
  name: string;
  topic: string;
  subscription: string;
  state: ConsumerState;
  connected: boolean;
  inFlight: number;
  lastError?: string;
}

export interface RunnerDeps {
  broker: Broker;
  deadLetterSink: DeadLetterSink;
  metrics?: MessagingMetrics;
  logger?: HandlerLogger;
  now?: () => number;
  random?: () => number;
  /** Poll interval of the receive loop, so stop is noticed. Default 500 ms. */
  receiveTimeoutMs?: number;
  /** Nack redelivery delay. Default 1000 ms. */
  nackDelayMs?: number;
  /** With tracing on: a CONSUMER span per delivery, a child of the message's publish. */
  tracer?: Tracer;
  /**
   * Durable notes of handler runs, so a message that keeps killing the process is
   * dead-lettered after `maxCrashes` (see crash-guard). Without one there is no such guard.
   */
  journal?: DeliveryJournal;
}

export class ConsumerRunner {
  private state: ConsumerState = 'idle';
  private consumer: Consumer | undefined;
  private readonly scheduler: KeyedScheduler;
  private readonly chain: Handler;
  private readonly stopController = new AbortController();
  /** Aborted when the drain deadline passes: handlers still running should give up. */
  private readonly handlerAbort = new AbortController();
  private loop: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  /** Acks sent and not yet confirmed by the broker; stop waits for them. */
  private readonly acking = new Set<Promise<void>>();
  private lastError: string | undefined;
  private readonly logger: HandlerLogger;
  private readonly now: () => number;

  constructor(
    readonly definition: ConsumerDefinition,
    private readonly deps: RunnerDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
    this.scheduler = new KeyedScheduler(definition.concurrency, definition.concurrency * 2);
    // Every running handler listens on these (through the timeout middleware): as many
    // listeners as messages in flight is expected, not a leak.
    setMaxListeners(
      definition.concurrency * 2 + 10,
      this.stopController.signal,
      this.handlerAbort.signal,
    );
    const d = definition;
    const store = d.dedupe === undefined ? new MemoryDedupeStore() : d.dedupe;
    this.chain = compose(
      metricsMiddleware(deps.metrics ?? noopMetrics),
      tracing(deps.tracer),
      recover(),
      deadLetter({ topic: d.deadLetterTopic, sink: deps.deadLetterSink }),
      ...(deps.journal ? [crashGuard({ journal: deps.journal, maxCrashes: d.maxCrashes })] : []),
      retry({ maxAttempts: d.maxAttempts, backoff: d.backoff, random: deps.random }),
      ...(store ? [dedupe({ store })] : []),
      timeout(d.timeoutMs),
      ...d.middleware,
    )(d.handler);
  }

  /**
   * Subscribes and starts handling; resolves once subscribed. Stopping meanwhile wins. After a
   * failed start it may be called again; after stop() it rejects (a runner runs once).
   */
  start(): Promise<void> {
    if (this.stopController.signal.aborted)
      return Promise.reject(
        new Error(
          `consumer ${this.definition.name} was stopped; define a new one to consume again`,
        ),
      );
    if (this.state !== 'idle' && this.state !== 'failed') return this.starting ?? Promise.resolve();
    this.state = 'starting';
    this.starting = this.subscribeAndRun();
    return this.starting;
  }

  private subscribe(): Promise<Consumer> {
    const d = this.definition;
    return this.deps.broker.subscribe({
      topic: d.topic,
      subscription: d.subscription,
      subscriptionType: d.type,
      subscriptionInitialPosition: d.initialPosition,
      consumerName: d.name,
      receiverQueueSize: Math.max(10, d.concurrency * 2),
      nAckRedeliverTimeoutMs: this.deps.nackDelayMs ?? 1000,
      retryEnable: true,
      // The retry middleware stops re-scheduling before this count; the broker's own
      // dead-lettering is the safety net for messages that crash the process repeatedly.
      deadLetterPolicy: {
        deadLetterTopic: d.deadLetterTopic,
        maxRedeliverCount: d.maxAttempts,
        initialSubscriptionName: DEAD_LETTER_RETENTION_SUBSCRIPTION,
      },
    });
  }

  private async subscribeAndRun(): Promise<void> {
    let consumer: Consumer;
    try {
      consumer = await this.subscribe();
    } catch (err) {
      if (this.stopController.signal.aborted) {
        this.state = 'stopped';
        return;
      }
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
    // stop() was called while subscribing: nothing was received, close at once.
    if (this.stopController.signal.aborted) {
      await consumer.close().catch(() => undefined);
      this.state = 'stopped';
      return;
    }
    this.consumer = consumer;
    this.state = 'running';
    this.loop = this.receiveLoop(consumer);
  }

  /**
   * After the broker closed the subscription's consumer for good (one of its topics was
   * deleted, `cause`), a new one, tried with backoff until it subscribes (once the topic is
   * back) or stop() comes. A failure for the reason already logged is not logged again at
   * warn level: a topic gone for an hour is one warning, not one every few seconds.
   */
  private async resubscribe(stop: AbortSignal, cause: unknown): Promise<Consumer | undefined> {
    await this.consumer?.close().catch(() => undefined);
    let logged = reasonOf(cause);
    for (let failures = 1; !stop.aborted; failures++) {
      try {
        const consumer = await this.subscribe();
        if (stop.aborted) {
          await consumer.close().catch(() => undefined);
          return undefined;
        }
        this.consumer = consumer;
        this.logger.info({ consumer: this.definition.name }, 'subscribed again');
        return consumer;
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        const fields = { err, consumer: this.definition.name };
        if (reasonOf(err) === logged) this.logger.debug(fields, 'subscribing again failed');
        else this.logger.warn(fields, 'subscribing again failed');
        logged = reasonOf(err);
        await sleep(failureBackoffMs(failures), stop);
      }
    }
    return undefined;
  }

  /**
   * Stops taking messages, waits up to `deadlineMs` for those in flight, then closes the
   * subscription (unfinished messages are redelivered to the next consumer).
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.state === 'starting') {
      this.stopController.abort();
      await this.starting?.catch(() => undefined);
    }
    if (this.state === 'idle' || this.state === 'stopped' || this.state === 'failed') {
      this.stopController.abort();
      this.state = 'stopped';
      return;
    }
    this.state = 'draining';
    this.stopController.abort();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)),
    );
    const finished = await Promise.race([this.scheduler.whenIdle().then(() => true), deadline]);
    if (!finished) this.handlerAbort.abort();
    // Acks of finished handlers get what is left of the deadline (a Pulsar ack on a dead
    // connection would otherwise hold the shutdown for its operation timeout).
    await Promise.race([Promise.all(this.acking), deadline]);
    clearTimeout(timer);
    if (!finished)
      this.logger.warn(
        { consumer: this.definition.name, inFlight: this.scheduler.pending },
        'drain deadline passed; unfinished messages will be redelivered',
      );
    await this.consumer?.close().catch(() => undefined);
    this.state = 'stopped';
  }

  status(): ConsumerStatus {
    const s: ConsumerStatus = {
      name: this.definition.name,
      topic: this.definition.topic,
      subscription: this.definition.subscription,
      state: this.state,
      connected: this.consumer?.isConnected() ?? false,
      inFlight: this.scheduler.pending,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Running and connected to the broker. */
  isHealthy(): boolean {
    return this.state === 'running' && (this.consumer?.isConnected() ?? false);
  }

  private async receiveLoop(first: Consumer): Promise<void> {
    let consumer = first;
    const stop = this.stopController.signal;
    const ordered = this.definition.type !== 'Shared';
    let scope: ConsumerScope = {
      consumer,
      topic: this.definition.topic,
      subscription: this.definition.subscription,
      logger: this.logger,
      now: this.now,
    };
    const stopped = new StopRace(stop);
    let failures = 0;
    while (!stop.aborted) {
      // Waits only when the scheduler is full: most messages find room at once.
      if (this.scheduler.pending >= this.scheduler.maxPending)
        await stopped.race(this.scheduler.whenRoom());
      if (stop.aborted) break;
      let message: Message | undefined;
      try {
        const receiving = consumer.receive(this.deps.receiveTimeoutMs ?? 500);
        receiving.catch(() => undefined);
        message = await stopped.race(receiving);
        failures = 0;
      } catch (err) {
        if (isBrokerError(err, 'Timeout')) continue;
        if (stop.aborted) break;
        if (isBrokerError(err, 'AlreadyClosed') || isBrokerError(err, 'TopicNotFound')) {
          this.lastError = err instanceof Error ? err.message : String(err);
          this.logger.warn(
            { err, consumer: this.definition.name },
            'the broker closed the subscription; subscribing again',
          );
          const again = await this.resubscribe(stop, err);
          if (again === undefined) break;
          consumer = again;
          // Handlers still running settle through the consumer that delivered their message.
          scope = { ...scope, consumer: again };
          failures = 0;
          continue;
        }
        failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.logger.warn({ err, consumer: this.definition.name }, 'receive failed; backing off');
        await sleep(failureBackoffMs(failures), stop);
        continue;
      }
      if (message === undefined) break;
      const m = message;
      const key = ordered ? (m.getOrderingKey() ?? m.getPartitionKey()) : undefined;
      this.scheduler.submit(key || undefined, () => this.handle(scope, m));
    }
  }

  private async handle(scope: ConsumerScope, message: Message): Promise<void> {
    // Received before stop but not started: left unacked, so closing the subscription hands
    // it to the next consumer. A drain only waits for the handlers already running.
    if (this.stopController.signal.aborted) return;
    const ctx = deliveryContext(scope, message, this.handlerAbort.signal);
    await this.chain(message, ctx);
    if (ctx.outcome === undefined) this.ack(scope.consumer, message);
  }

  /**
   * Acks without holding the message's slot until the broker confirms: the next message of
   * the key may start at once (as with Pulsar's clients, whose acks are not awaited). The
   * ack itself is already made; only its durable commit is pending, and stop waits for it.
   */
  private ack(consumer: Consumer, message: Message): void {
    const acking = consumer.acknowledge(message).then(
      () => {
        this.acking.delete(acking);
      },
      (err: unknown) => {
        this.acking.delete(acking);
        // Not acked means redelivered; the dedupe store keeps the handler from running twice.
        this.logger.warn({ err, consumer: this.definition.name }, 'ack failed');
      },
    );
    this.acking.add(acking);
  }
}

/**
 * Races each awaited step of the receive loop against stop, with one abort listener for the
 * whole loop rather than one per message. Unlike racing one long-lived "stopped" promise, it
 * leaves nothing behind once a step settles: a race adds a reaction to each of its promises,
 * and one added per message to a promise that stays pending until shutdown is never freed.
 */
class StopRace {
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  /** `work`'s outcome, or undefined as soon as the signal aborts. */
  race<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.signal.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      this.wake = () => resolve(undefined);
      work.then(resolve, reject);
    });
  }
}

/** What a failure is, to tell a repeat from a new one: its broker error code, else its text. */
function reasonOf(err: unknown): string {
  if (isBrokerError(err)) return err.code;
  return err instanceof Error ? err.message : String(err);
}

/** Waits `ms`, or less if the signal aborts; leaves no listener behind either way. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** The pause after the n-th failure in a row to receive or subscribe: 200 ms doubling to 5 s. */
function failureBackoffMs(failures: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(failures, 6));
}
