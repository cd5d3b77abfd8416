/**
 * A network broker that may not be reachable yet when the service starts. The first attempt
 * to connect decides: success, or a permanent error (a refused token, a bad URL), which fails
 * the start as before. A transient error (nothing listening, a timeout) does not: the service
 * starts, reports /readyz 503, answers event routes with 503 BROKER_UNAVAILABLE, and this
 * broker tries again with backoff until it connects. Then it hands every call to the real
 * broker, and `ready` resolves (the pipeline starts its consumers then).
 */
import {
  BrokerError,
  isBrokerError,
  type Broker,
  type BrokerAdmin,
  type Consumer,
  type ConsumerConfig,
  type Producer,
  type ProducerConfig,
} from '../../broker/index.js';
import { backoffDelay, type BackoffOptions } from '../../messaging/index.js';

export interface ConnectingBrokerOptions {
  /** Delays between attempts. Default 500 ms doubling up to 5 s. */
  backoff?: BackoffOptions;
  /** Told of each failed attempt and of the connection. */
  onAttempt?: (failedAttempt: number, err: BrokerError | undefined) => void;
}

const TRANSIENT = ['NotConnected', 'Timeout'] as const;

/**
 * An error that says the broker is not reachable now, rather than that it refuses us. At the
 * first attempt any other error fails the start; later ones are retried like the rest (the
 * cluster's answer may change with its configuration), and the caller is told of each.
 */
export function isTransient(err: BrokerError): boolean {
  return TRANSIENT.some((code) => isBrokerError(err, code));
}

export class ConnectingBroker implements Broker {
  readonly admin: BrokerAdmin;
  /** Resolves with the real broker once connected; rejects if closed before that. */
  readonly ready: Promise<Broker>;
  private inner: Broker | undefined;
  private lastError: BrokerError | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempting: Promise<void> | undefined;
  private settle!: { resolve(b: Broker): void; reject(err: Error): void };

  /** Resolves after the first attempt unless it failed for good. */
  static async start(
    kind: Broker['kind'],
    connect: () => Promise<Broker>,
    options: ConnectingBrokerOptions = {},
  ): Promise<ConnectingBroker> {
    const broker = new ConnectingBroker(kind, connect, options);
    await broker.attempt(1, true);
    return broker;
  }

  private constructor(
    readonly kind: Broker['kind'],
    private readonly connect: () => Promise<Broker>,
    private readonly options: ConnectingBrokerOptions,
  ) {
    this.ready = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be waiting when it is closed before connecting.
    this.ready.catch(() => undefined);
    this.admin = {
      listTopics: () => this.connected().then((b) => b.admin.listTopics()),
      topicStats: (topic) => this.connected().then((b) => b.admin.topicStats(topic)),
      readMessages: (topic, o) => this.connected().then((b) => b.admin.readMessages(topic, o)),
      deleteMessages: (topic, ids) =>
        this.connected().then((b) => b.admin.deleteMessages(topic, ids)),
      purge: (topic) => this.connected().then((b) => b.admin.purge(topic)),
    };
  }

  /** Why the broker is not connected yet, for readiness; undefined once connected. */
  get waitingFor(): string | undefined {
    if (this.inner) return undefined;
    return `connecting to the broker: ${this.lastError?.message ?? 'first attempt'}`;
  }

  private async attempt(n: number, first: boolean): Promise<void> {
    this.timer = undefined;
    let broker: Broker;
    try {
      broker = await this.connect();
    } catch (err) {
      const e = err instanceof BrokerError ? err : new BrokerError('Internal', String(err));
      if (first && !isTransient(e)) throw e;
      this.lastError = e;
      this.options.onAttempt?.(n, e);
      if (this.closed) return;
      const delay = backoffDelay(n, { initialMs: 500, maxMs: 5000, ...this.options.backoff });
      this.timer = setTimeout(() => {
        this.attempting = this.attempt(n + 1, false);
      }, delay);
      return;
    }
    if (this.closed) {
      await broker.close();
      return;
    }
    this.inner = broker;
    if (!first) this.options.onAttempt?.(n, undefined);
    this.settle.resolve(broker);
  }

  private async connected(): Promise<Broker> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'broker is closed');
    if (this.inner) return this.inner;
    throw new BrokerError('NotConnected', this.waitingFor ?? 'broker not connected');
  }

  createProducer(config: ProducerConfig): Promise<Producer> {
    return this.connected().then((b) => b.createProducer(config));
  }

  subscribe(config: ConsumerConfig): Promise<Consumer> {
    return this.connected().then((b) => b.subscribe(config));
  }

  isConnected(): boolean {
    return !this.closed && this.inner !== undefined && this.inner.isConnected();
  }

  notConnectedReason(): string | undefined {
    if (this.closed) return 'broker closed';
    if (this.inner === undefined) return this.waitingFor;
    if (this.inner.isConnected()) return undefined;
    return this.inner.notConnectedReason?.() ?? 'broker not connected';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    // An attempt under way closes what it opens once it sees `closed`.
    await this.attempting;
    this.settle.reject(new BrokerError('AlreadyClosed', 'broker closed before it connected'));
    await this.inner?.close();
  }
}
