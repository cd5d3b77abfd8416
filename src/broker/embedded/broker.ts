import type Database from 'better-sqlite3';
import { BrokerError } from '../errors.js';
import { DataFileError } from '../../shared/data-file-error.js';
import {
  checkSubscriptionName,
  deadLetterTopicName,
  fullTopicName,
  retryTopicName,
} from '../topic-name.js';
import type {
  Broker,
  Consumer,
  ConsumerConfig,
  InitialPosition,
  Producer,
  ProducerConfig,
  SubscriptionType,
} from '../types.js';
import { EmbeddedAdmin } from './admin.js';
import { Catalog, type SubscriptionRow } from './catalog.js';
import { ConsumerGuard } from './consumer-guard.js';
import { EmbeddedConsumer } from './consumer.js';
import { LetterRouter } from './dead-letter.js';
import { GroupCommitWriter } from './group-commit-writer.js';
import { WalSync } from './wal-sync.js';
import { type EmbeddedBrokerOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { EmbeddedProducer } from './producer.js';
import { Retention } from './retention.js';
import { Checkpointer } from './checkpointer.js';
import { databaseFile, openDatabase } from './schema.js';
import type { StoredMessage } from './stored-message.js';
import { Subscription } from './subscription.js';
import { CacheBudget, Topic } from './topic.js';
import { WalWatcher } from './wal-watcher.js';

const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'Exclusive',
  'Shared',
  'Failover',
  'KeyShared',
];

/**
 * The embedded broker: one SQLite file (WAL) under the data dir, dispatch in this process.
 * Another process may open the same file to publish and to use the admin surface; this one
 * notices its rows when the WAL file changes (wal-watcher.ts) and, as a fallback, by polling
 * the topics' sequences. Consuming a subscription is this process's alone while it has consumers
 * on it (consumer-guard.ts): a second process dispatching it would deliver every message twice.
 */
export class EmbeddedBroker implements Broker {
  readonly kind = 'embedded' as const;
  /** A send with `moveFrom` deletes that message in the transaction that stores its own. */
  readonly movesOnSend = true;
  readonly admin: EmbeddedAdmin;
  readonly writer: GroupCommitWriter;
  readonly catalog: Catalog;
  readonly maxMessageSize: number;
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<number, Topic>();
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly producers = new Set<EmbeddedProducer>();
  private readonly retention: Retention;
  private readonly cacheBudget: CacheBudget;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pollTimer: NodeJS.Timeout;
  private readonly walWatcher: WalWatcher;
  private readonly dataVersion: Database.Statement<[], number>;
  private lastDataVersion = -1;
  private readonly checkpointer: Checkpointer;
  private readonly guard: ConsumerGuard;
  private closed = false;
  private closing: Promise<void> | undefined;
  private nextId = 0;

  private constructor(
    private readonly db: Database.Database,
    private readonly options: ResolvedOptions,
  ) {
    this.maxMessageSize = options.maxMessageSize;
    this.cacheBudget = new CacheBudget(options.cacheBytes);
    this.catalog = new Catalog(db);
    this.guard = new ConsumerGuard(options.dataDir);
    // FULL: the connection commits with NORMAL and the WAL is synced off the event loop.
    const walSync =
      options.synchronous === 'FULL' ? new WalSync(`${databaseFile(options)}-wal`) : undefined;
    this.writer = new GroupCommitWriter(
      db,
      options.maxBatch,
      {
        onWritten: (topicId: number, lastEntry: number) =>
          this.topicsById.get(topicId)?.onWritten(lastEntry),
        onCommitted: (topicId: number, recs: StoredMessage[]) =>
          this.topicsById.get(topicId)?.onCommitted(recs),
        onMoved: (topicId: number, entries: number[]) =>
          this.topicsById.get(topicId)?.onDeleted(entries),
      },
      walSync,
    );
    this.retention = new Retention(db);
    this.admin = new EmbeddedAdmin(db, {
      catalog: this.catalog,
      loadedTopic: (name) => this.topics.get(name),
      consumersOf: (topic, sub) => topic?.subscriptions.get(sub)?.consumerCount ?? 0,
      consumedElsewhere: (subId) => this.guard.heldElsewhere(subId),
      // Admin reads the file as it is: after a failed commit or sync too, as an operator would.
      flushed: () => this.writer.flushed().catch(() => undefined),
      assertOpen: () => this.assertOpen(),
    });
    // data_version changes only when another connection commits: our own commits (which also
    // touch the WAL) cost the watch one cheap pragma, not a scan of the topics.
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.walWatcher = new WalWatcher(`${databaseFile(options)}-wal`, () =>
      this.checkExternalWrites(),
    );
    this.pollTimer = this.every(options.externalPollIntervalMs, () => {
      if (this.consumers.size > 0) this.walWatcher.ensure();
      this.pollExternalWrites();
    });
    this.every(options.retentionIntervalMs, () => this.runRetention());
    this.checkpointer = new Checkpointer(databaseFile(options), options.synchronous, 100);
  }

  static open(options: EmbeddedBrokerOptions): EmbeddedBroker {
    const resolved = resolveOptions(options);
    let db: Database.Database;
    try {
      db = openDatabase(resolved);
    } catch (err) {
      // The file is there but unusable (or locked): an error of the broker's own, not an outage.
      if (err instanceof DataFileError)
        throw new BrokerError('Internal', `cannot open its database: ${err.message}`, {
          cause: err,
        });
      throw new BrokerError(
        'NotConnected',
        `cannot open the broker data dir ${resolved.dataDir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new EmbeddedBroker(db, resolved);
  }

  now(): number {
    return this.options.now();
  }

  isConnected(): boolean {
    return !this.closed;
  }

  async createProducer(config: ProducerConfig): Promise<Producer> {
    this.assertOpen();
    const topic = this.topic(config.topic);
    const name = config.producerName ?? `embedded-producer-${++this.nextId}`;
    const producer = new EmbeddedProducer(topic, config, this, name);
    this.producers.add(producer);
    return producer;
  }

  async subscribe(config: ConsumerConfig): Promise<Consumer> {
    this.assertOpen();
    const type = config.subscriptionType ?? 'Exclusive';
    if (!SUBSCRIPTION_TYPES.includes(type)) {
      throw new BrokerError('InvalidArgument', `unknown subscription type: ${String(type)}`);
    }
    checkSubscriptionName(config.subscription);
    const names = config.topics ?? (config.topic !== undefined ? [config.topic] : []);
    if (names.length === 0) throw new BrokerError('InvalidArgument', 'topic or topics is required');
    const topics = names.map((n) => this.topic(n));
    const primary = topics[0].name;
    const retryTopic = config.retryEnable
      ? this.topic(config.retryLetterTopic ?? retryTopicName(primary, config.subscription))
      : undefined;
    if (retryTopic !== undefined && !topics.includes(retryTopic)) topics.push(retryTopic);
    const letters = new LetterRouter(
      this,
      fullTopicName(
        config.deadLetterPolicy?.deadLetterTopic ??
          deadLetterTopicName(primary, config.subscription),
      ),
      config.deadLetterPolicy,
      retryTopic?.name,
    );
    const name = config.consumerName ?? `embedded-consumer-${++this.nextId}`;
    const consumer = new EmbeddedConsumer(
      config,
      type,
      this,
      letters,
      name,
      this.options.maxUnackedMessagesPerConsumer,
    );
    const position = config.subscriptionInitialPosition ?? 'Latest';
    const held: Subscription[] = [];
    try {
      for (const topic of topics) {
        const sub = this.openSubscription(topic, config.subscription, type, position, consumer);
        held.push(sub);
        consumer.attach(sub);
      }
    } catch (err) {
      consumer.detachAll();
      // Also a lock taken by the openSubscription that failed.
      for (const id of this.guard.releaseAll(consumer)) this.retire(id);
      throw err;
    }
    this.consumers.add(consumer);
    // Like a client's connection, open consumers keep the process alive.
    this.pollTimer.ref();
    this.walWatcher.ensure();
    return consumer;
  }

  /**
   * Creates the subscription (Earliest) if missing, e.g. a dead-letter topic's initial one.
   * Only the stored row: a subscription this process does not consume is not loaded, so it
   * never writes state over what a consuming process stores.
   */
  ensureSubscription(topicName: string, subscription: string): void {
    const topic = this.topic(topicName);
    if (!topic.subscriptions.has(subscription))
      this.subscriptionRow(topic, subscription, 'Shared', 'Earliest');
  }

  nextCommit(): Promise<void> {
    return this.writer.nextCommit();
  }

  /** Resolves once the consumer's acks are committed and its subscriptions' locks released. */
  async onConsumerClosed(consumer: EmbeddedConsumer): Promise<void> {
    this.consumers.delete(consumer);
    if (this.consumers.size === 0) {
      this.pollTimer.unref();
      this.walWatcher.stop();
    }
    const subs = [...consumer.subscriptions()];
    try {
      for (const sub of subs) {
        if (!consumer.unsubscribeRequested || sub.consumerCount > 0) continue;
        sub.markDeleted();
        sub.topic.subscriptions.delete(sub.name);
        this.catalog.deleteSubscription(sub.id);
      }
      // The next process to consume starts from what is stored: hand over only after the acks
      // made here are. A failed commit is reported through the acks themselves.
      await this.writer.flushed().catch(() => undefined);
    } finally {
      // Let go even when the unsubscribe failed (a locked file): a lock kept with no consumer
      // would refuse every other process until this one exits.
      for (const sub of subs) if (this.guard.release(sub.id, consumer)) this.retire(sub.id);
    }
  }

  /** This process no longer holds the subscription: what it has in memory goes stale. */
  private retire(subId: number): void {
    for (const topic of this.topics.values())
      for (const sub of topic.subscriptions.values())
        if (sub.id === subId) {
          sub.retire();
          topic.subscriptions.delete(sub.name);
          return;
        }
  }

  storedTopicId(name: string): number | undefined {
    return this.catalog.topic(name)?.id;
  }

  onProducerClosed(producer: EmbeddedProducer): void {
    this.producers.delete(producer);
  }

  /** Every caller of close() waits for the one shutdown, however many call it. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const c of [...this.consumers]) await c.close();
    for (const p of [...this.producers]) await p.close();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.walWatcher.stop();
    // Commit what is queued (acks included) before the subscriptions stop.
    await this.writer.close();
    for (const topic of this.topics.values()) {
      for (const sub of topic.subscriptions.values()) sub.stop();
    }
    await this.checkpointer.close();
    this.guard.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'broker is closed');
  }

  private topic(name: string): Topic {
    let full: string;
    try {
      full = fullTopicName(name);
    } catch (err) {
      throw new BrokerError('InvalidArgument', `invalid topic name: ${JSON.stringify(name)}`, {
        cause: err,
      });
    }
    let topic = this.topics.get(full);
    if (topic === undefined) {
      const row = this.catalog.ensureTopic(full, this.now());
      topic = new Topic(this.db, row.id, full, row.last_entry, this.cacheBudget);
      this.topics.set(full, topic);
      this.topicsById.set(row.id, topic);
    }
    return topic;
  }

  private openSubscription(
    topic: Topic,
    name: string,
    type: SubscriptionType,
    position: InitialPosition,
    consumer?: EmbeddedConsumer,
  ): Subscription {
    let sub = topic.subscriptions.get(name);
    // Before the type check: another process's consumers may hold the subscription as any type.
    if (consumer !== undefined) sub = this.lockSubscription(topic, name, type, position, consumer);
    sub ??= this.loadSubscription(topic, this.subscriptionRow(topic, name, type, position));
    if (sub.type !== type) {
      if (sub.consumerCount > 0) {
        if (consumer !== undefined) this.guard.release(sub.id, consumer);
        throw new BrokerError(
          'ConsumerBusy',
          `subscription ${name} is ${sub.type} and has consumers; cannot attach as ${type}`,
        );
      }
      sub.changeType(type);
      this.catalog.setSubscriptionType(sub.id, type);
    }
    return sub;
  }

  /**
   * Takes the subscription's cross-process lock for `consumer` (ConsumerBusy if another process
   * consumes it). The subscription is read from the file after the lock is taken whenever
   * another process may have consumed it since this one loaded it: what that process acked is
   * then stored, and what is in memory here is older.
   */
  private lockSubscription(
    topic: Topic,
    name: string,
    type: SubscriptionType,
    position: InitialPosition,
    consumer: EmbeddedConsumer,
  ): Subscription {
    const loaded = topic.subscriptions.get(name);
    const id = loaded?.id ?? this.subscriptionRow(topic, name, type, position).id;
    const how = this.guard.acquire({ id, topic: topic.name, name }, consumer);
    if (loaded !== undefined && how !== 'taken') return loaded;
    loaded?.retire();
    topic.subscriptions.delete(name);
    const row =
      this.catalog.subscription(topic.id, name) ??
      this.subscriptionRow(topic, name, type, position);
    if (row.id !== id) {
      // Unsubscribed by another process meanwhile and created again here: lock the new row.
      this.guard.release(id, consumer);
      this.guard.acquire({ id: row.id, topic: topic.name, name }, consumer);
    }
    return this.loadSubscription(topic, row);
  }

  /** The subscription's row, created (at `position`) if missing. */
  private subscriptionRow(
    topic: Topic,
    name: string,
    type: SubscriptionType,
    position: InitialPosition,
  ): SubscriptionRow {
    const stored = position === 'Latest' ? this.catalog.topic(topic.name)?.last_entry : 0;
    const md = Subscription.initialMarkDelete(topic, position, stored ?? 0);
    return this.catalog.ensureSubscription(topic.id, name, type, md, this.now());
  }

  private loadSubscription(topic: Topic, row: SubscriptionRow): Subscription {
    const state = {
      id: row.id,
      name: row.name,
      type: row.type,
      markDelete: row.mark_delete,
      acked: this.catalog.acks(row.id),
    };
    const sub = new Subscription(topic, state, this.writer, () => this.now());
    topic.subscriptions.set(row.name, sub);
    return sub;
  }

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(() => {
      if (this.closed) return;
      try {
        fn();
      } catch {
        // SQLITE_BUSY from another process holding the lock: try again next tick.
      }
    }, ms);
    t.unref();
    this.timers.push(t);
    return t;
  }

  /** Another connection committed since the last look: find its rows. */
  private checkExternalWrites(): boolean {
    if (this.closed) return false;
    const version = this.dataVersion.get()!;
    if (version === this.lastDataVersion) return false;
    this.pollExternalWrites();
    this.lastDataVersion = version;
    return true;
  }

  private pollExternalWrites(): void {
    for (const row of this.catalog.topics()) {
      const topic = this.topicsById.get(row.id);
      if (topic !== undefined && row.last_entry > topic.lastEntry && topic.subscriptions.size > 0) {
        topic.onExternalAppend(row.last_entry);
      }
    }
  }

  private runRetention(): void {
    const trimmed = this.retention.run(this.now(), this.options.retentionMs);
    for (const [topicId, upTo] of trimmed) this.topicsById.get(topicId)?.dropCacheUpTo(upTo);
  }
}

/** Opens (or creates) the embedded broker in `options.dataDir`. */
export async function createEmbeddedBroker(
  options: EmbeddedBrokerOptions,
): Promise<EmbeddedBroker> {
  return EmbeddedBroker.open(options);
}
