import type { PulsarClient } from '../../pulsar/index.js';
import type { PulsarAdmin } from '../../pulsar/admin/index.js';
import { PartitionedConsumer } from '../../pulsar/partitioned-consumer.js';
import { BrokerError, isBrokerError } from '../errors.js';
import { checkSubscriptionName, fullTopicName } from '../topic-name.js';
import type { Consumer, ConsumerConfig, Message, MessageId, SubscriptionType } from '../types.js';
import { mapped, toBrokerError } from './errors.js';
import { Letters } from './letters.js';
import { PulsarBrokerMessage } from './message.js';

const TYPES: readonly SubscriptionType[] = ['Exclusive', 'Shared', 'Failover', 'KeyShared'];
/** A listener's pause after a failed receive before it asks again. */
const LISTENER_RETRY_MS = 100;

/**
 * The Broker contract's Consumer over Pulsar: one merged consumer over the topics (and
 * their partitions), the retry letter topic when enabled, and the dead-letter policy
 * applied on the client side as the Java client does.
 *
 * When the broker closes the consumer of any of those topics for good (the topic was
 * deleted), this consumer closes: waiting and later receives reject with that TopicNotFound
 * error, as when a single topic is deleted, rather than reading the other topics on while
 * that one is never read again (subscribing again gets it back once it exists).
 */
export class PulsarBrokerConsumer implements Consumer {
  /**
   * Every copy delivered here, true once acked. A batch entry is redelivered whole, so two
   * copies of one message can be out at once and each must ack (or nack) its own copy: the
   * client counts an entry's acks per copy. Weak, so copies the application drops go too.
   */
  private readonly copies = new WeakMap<PulsarBrokerMessage, boolean>();
  /** The newest unacked copy of each message id: what acknowledgeId and cumulative acks name. */
  private readonly latest = new Map<string, PulsarBrokerMessage>();
  private closed = false;
  /** Why the consumer closed on its own: one of its topics was deleted. */
  private failure: BrokerError | undefined;

  private constructor(
    private readonly inner: PartitionedConsumer,
    private readonly config: ConsumerConfig,
    private readonly letters: Letters,
    private readonly onClose: () => void,
  ) {
    inner.on('topicGone', (_topic: string, err: unknown) => this.topicGone(err));
  }

  private topicGone(err: unknown): void {
    if (this.closed) return;
    this.failure = toBrokerError(err);
    void this.close();
  }

  static async subscribe(
    client: PulsarClient,
    admin: PulsarAdmin,
    config: ConsumerConfig,
    onClose: () => void,
  ): Promise<PulsarBrokerConsumer> {
    const type = config.subscriptionType ?? 'Exclusive';
    if (!TYPES.includes(type)) {
      throw new BrokerError('InvalidArgument', `unknown subscription type ${String(type)}`);
    }
    const topics = [...(config.topics ?? []), ...(config.topic ? [config.topic] : [])].map(
      fullTopicName,
    );
    if (topics.length === 0) throw new BrokerError('InvalidArgument', 'topic or topics required');
    checkSubscriptionName(config.subscription);
    const letters = new Letters(client, admin, config);
    if (config.retryEnable) {
      for (const t of new Set(topics.map((t) => letters.retryTopic(t)))) topics.push(t);
    }
    const inner = await mapped(() =>
      PartitionedConsumer.subscribe(client, topics, {
        subscription: config.subscription,
        subscriptionType: type,
        subscriptionInitialPosition: config.subscriptionInitialPosition,
        consumerName: config.consumerName,
        // The Pulsar client's PartitionedConsumer refuses 0; as on the embedded broker, 0
        // holds one message.
        receiverQueueSize: config.receiverQueueSize === 0 ? 1 : config.receiverQueueSize,
        ackTimeoutMs: config.ackTimeoutMs,
        nAckRedeliverTimeoutMs: config.nAckRedeliverTimeoutMs,
        // acknowledge() resolves once the broker has the ack, as on the embedded broker.
        ackReceiptEnabled: true,
      }),
    );
    // A topic deleted while the others were being subscribed: as if subscribing had failed.
    const [gone] = inner.goneTopics().values();
    if (gone) {
      await inner.close();
      await letters.close();
      throw toBrokerError(gone);
    }
    const consumer = new PulsarBrokerConsumer(inner, config, letters, onClose);
    if (config.listener) void consumer.runListener();
    return consumer;
  }

  async receive(timeoutMs?: number): Promise<Message> {
    if (this.closed) throw this.failure ?? new BrokerError('AlreadyClosed', 'consumer is closed');
    if (this.config.listener) {
      throw new BrokerError('InvalidArgument', 'receive() cannot be used with a listener');
    }
    return this.next(timeoutMs);
  }

  async acknowledge(message: Message): Promise<void> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'consumer is closed');
    const acked = message instanceof PulsarBrokerMessage ? this.copies.get(message) : undefined;
    if (acked === undefined) return this.acknowledgeId(message.getMessageId());
    // Acking a copy twice is a no-op, as on the embedded broker.
    if (acked) return;
    await this.ack(message as PulsarBrokerMessage);
  }

  async acknowledgeId(messageId: MessageId): Promise<void> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'consumer is closed');
    const m = this.latest.get(messageId.toString());
    if (!m) {
      throw new BrokerError('UnknownMessageId', `${messageId.toString()} was not delivered here`);
    }
    await this.ack(m);
  }

  private async ack(m: PulsarBrokerMessage): Promise<void> {
    this.settle(m);
    try {
      await mapped(() => this.inner.acknowledge(m.inner));
    } catch (err) {
      // Not acked (the broker refused it, or it could not be told while disconnected): the
      // copy stays unacked, so acking it again tries again.
      this.unsettle(m);
      throw err;
    }
  }

  private unsettle(m: PulsarBrokerMessage): void {
    this.copies.set(m, false);
    const key = m.getMessageId().toString();
    if (!this.latest.has(key)) this.latest.set(key, m);
  }

  /** Marks the copy acked; an older copy leaves the newest one in place for acknowledgeId. */
  private settle(m: PulsarBrokerMessage): void {
    this.copies.set(m, true);
    const key = m.getMessageId().toString();
    if (this.latest.get(key) === m) this.latest.delete(key);
  }

  /** The unacked copy `message` names: itself when delivered here, else the newest of its id. */
  private copyOf(message: Message): PulsarBrokerMessage | undefined {
    const acked = message instanceof PulsarBrokerMessage ? this.copies.get(message) : undefined;
    if (acked !== undefined) return acked ? undefined : (message as PulsarBrokerMessage);
    return this.latest.get(message.getMessageId().toString());
  }

  async acknowledgeCumulative(message: Message): Promise<void> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'consumer is closed');
    const type = this.config.subscriptionType ?? 'Exclusive';
    if (type === 'Shared' || type === 'KeyShared') {
      throw new BrokerError('NotAllowed', `cumulative ack is not allowed on ${type}`);
    }
    const m = this.copyOf(message);
    if (!m) throw new BrokerError('UnknownMessageId', 'message was not delivered here');
    const covered = [...this.latest.values()].filter(
      (d) =>
        d.getTopicName() === m.getTopicName() && d.getMessageId().compare(m.getMessageId()) <= 0,
    );
    for (const d of covered) this.settle(d);
    this.settle(m);
    try {
      await mapped(() => this.inner.acknowledgeCumulative(m.inner));
    } catch (err) {
      // Not acked: the copies stay unacked, so acking again tries again.
      for (const d of covered) this.unsettle(d);
      this.unsettle(m);
      throw err;
    }
  }

  negativeAcknowledge(message: Message): void {
    if (this.closed) return;
    const m = this.copyOf(message);
    if (!m) return;
    const max = this.config.deadLetterPolicy?.maxRedeliverCount;
    if (max !== undefined && m.getRedeliveryCount() >= max) {
      // Its last allowed delivery failed: dead-letter it instead of asking for another.
      void this.deadLetter(m);
      return;
    }
    this.inner.negativeAcknowledge(m.inner);
  }

  async reconsumeLater(
    message: Message,
    delayMs: number,
    properties?: Record<string, string>,
  ): Promise<void> {
    if (!this.config.retryEnable) {
      throw new BrokerError('NotAllowed', 'reconsumeLater needs retryEnable: true');
    }
    const m = this.copyOf(message);
    if (!m) throw new BrokerError('UnknownMessageId', 'message was not delivered here');
    await mapped(() => this.letters.reconsumeLater(m, Math.max(0, delayMs), properties));
    await this.acknowledge(m);
  }

  async unsubscribe(): Promise<void> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'consumer is closed');
    await mapped(() => this.inner.unsubscribe());
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.latest.clear();
    await this.inner.close();
    await this.letters.close();
  }

  isConnected(): boolean {
    return !this.closed && this.inner.isConnected();
  }

  getSubscription(): string {
    return this.config.subscription;
  }

  private async next(timeoutMs?: number): Promise<Message> {
    for (;;) {
      const started = Date.now();
      const raw = await mapped(() => this.inner.receive(timeoutMs)).catch((err: unknown) => {
        // Closed because a topic was deleted: say so rather than just "closed".
        throw this.failure ?? err;
      });
      const m = new PulsarBrokerMessage(raw);
      const max = this.config.deadLetterPolicy?.maxRedeliverCount;
      this.copies.set(m, false);
      this.latest.set(m.getMessageId().toString(), m);
      if (max === undefined || m.getRedeliveryCount() <= max) return m;
      // Redelivered past the limit (an ack timeout after its last allowed delivery).
      await this.deadLetter(m);
      if (timeoutMs !== undefined) {
        timeoutMs -= Date.now() - started;
        if (timeoutMs <= 0) throw new BrokerError('Timeout', `no message within the timeout`);
      }
    }
  }

  private async deadLetter(m: PulsarBrokerMessage): Promise<void> {
    try {
      await this.letters.deadLetter(m);
      await this.acknowledge(m);
    } catch (err) {
      // Not stored in the dead-letter topic: let the broker deliver it again instead.
      if (!this.closed) this.inner.negativeAcknowledge(m.inner);
      this.emitError(err);
    }
  }

  private emitError(err: unknown): void {
    process.emitWarning(toBrokerError(err).message, { code: 'MAGNETAR_PULSAR_DLQ' });
  }

  private async runListener(): Promise<void> {
    const listener = this.config.listener!;
    while (!this.closed) {
      let m: Message;
      try {
        m = await this.next();
      } catch (err) {
        if (this.closed) return;
        // The client closed its consumer for good (its topic was deleted): nothing more
        // comes, and retrying at once would never yield the event loop again.
        if (isBrokerError(err, 'AlreadyClosed') || isBrokerError(err, 'TopicNotFound')) return;
        await new Promise((resolve) => setTimeout(resolve, LISTENER_RETRY_MS));
        continue;
      }
      try {
        await listener(m, this);
      } catch {
        // A throwing listener leaves the message unacked, as in the Pulsar clients.
      }
    }
  }
}
