/** The per-delivery context handed down the middleware chain; holds how the message was settled. */
import { isBrokerError, type Consumer, type Message } from '../broker/index.js';
import type { HandlerLogger, MessageContext } from './handler.js';
import type { MessageOutcome } from './metrics.js';
import { reconsumeTimes } from './properties.js';

/** What every delivery of one consumer shares. */
export interface ConsumerScope {
  consumer: Consumer;
  topic: string;
  subscription: string;
  logger: HandlerLogger;
  now: () => number;
}

export interface ContextInit extends ConsumerScope {
  message: Message;
  signal: AbortSignal;
}

interface Settlement {
  outcome: MessageOutcome | undefined;
  attempt: number;
  /** Created by the first failure: a delivery that succeeds allocates none. */
  failures: Error[] | undefined;
}

const NO_FAILURES: readonly Error[] = Object.freeze([]);

export function createMessageContext(init: ContextInit): MessageContext {
  return deliveryContext(init, init.message, init.signal);
}

/** A fresh context for one delivery of `scope`'s consumer. */
export function deliveryContext(
  scope: ConsumerScope,
  message: Message,
  signal: AbortSignal,
): MessageContext {
  return new DeliveryContext(
    scope,
    message,
    { outcome: undefined, attempt: 0, failures: undefined },
    signal,
  );
}

/** One per message, so its methods live on the prototype instead of in fresh closures. */
class DeliveryContext implements MessageContext {
  private signalValue: AbortSignal | undefined;
  readonly now: () => number;

  constructor(
    private readonly scope: ConsumerScope,
    private readonly message: Message,
    private readonly state: Settlement,
    private readonly source: AbortSignal | (() => AbortSignal),
  ) {
    this.now = scope.now;
  }

  get topic(): string {
    return this.scope.topic;
  }

  get subscription(): string {
    return this.scope.subscription;
  }

  get logger(): HandlerLogger {
    return this.scope.logger;
  }

  get attempt(): number {
    if (this.state.attempt === 0)
      this.state.attempt = reconsumeTimes(this.message.getProperties()) + 1;
    return this.state.attempt;
  }

  get signal(): AbortSignal {
    const source = this.source;
    this.signalValue ??= typeof source === 'function' ? source() : source;
    return this.signalValue;
  }

  get outcome(): MessageOutcome | undefined {
    return this.state.outcome;
  }

  get failures(): readonly Error[] {
    return this.state.failures ?? NO_FAILURES;
  }

  recordFailure(err: Error): void {
    const failures = (this.state.failures ??= []);
    if (!failures.includes(err)) failures.push(err);
  }

  async retryLater(delayMs: number, properties?: Record<string, string>): Promise<void> {
    await this.scope.consumer.reconsumeLater(this.message, delayMs, properties);
    this.state.outcome = 'retried';
  }

  async deadLettered(): Promise<void> {
    await this.scope.consumer.acknowledge(this.message);
    this.state.outcome = 'dead-lettered';
  }

  nack(): void {
    this.state.outcome = 'nacked';
    try {
      this.scope.consumer.negativeAcknowledge(this.message);
    } catch (err) {
      // Closed by a stop whose deadline cut the handler off: the message was never acked, so
      // it is delivered again all the same.
      if (!isBrokerError(err, 'AlreadyClosed')) throw err;
    }
  }

  async skip(): Promise<void> {
    await this.scope.consumer.acknowledge(this.message);
    this.state.outcome = 'skipped';
  }

  withSignal(signal: AbortSignal | (() => AbortSignal)): MessageContext {
    return new DeliveryContext(this.scope, this.message, this.state, signal);
  }
}
