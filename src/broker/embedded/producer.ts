import { BrokerError } from '../errors.js';
import { nonStringProperty } from '../properties.js';
import { fullTopicName } from '../topic-name.js';
import type { MessageId, Producer, ProducerConfig, ProducerMessage } from '../types.js';
import type { GroupCommitWriter, PendingPublish } from './group-commit-writer.js';
import { messageIdOf, type StoredMessage } from './stored-message.js';
import type { Topic } from './topic.js';

export interface ProducerHost {
  readonly writer: GroupCommitWriter;
  readonly maxMessageSize: number;
  /** The catalog id of a stored topic (full name), undefined if there is none. */
  storedTopicId(name: string): number | undefined;
  now(): number;
  onProducerClosed(p: EmbeddedProducer): void;
}

const DEFAULT_MAX_PENDING = 1000;

/**
 * Sends go straight to the broker's group-commit writer: batching settings of the Pulsar
 * client are accepted but the writer already batches every send of an event-loop turn.
 */
export class EmbeddedProducer implements Producer {
  private pending = 0;
  private closed = false;
  private readonly maxPending: number;

  constructor(
    private readonly topic: Topic,
    private readonly config: ProducerConfig,
    private readonly host: ProducerHost,
    private readonly name: string,
  ) {
    this.maxPending = config.maxPendingMessages ?? DEFAULT_MAX_PENDING;
  }

  send(message: ProducerMessage): Promise<MessageId> {
    if (this.closed) return Promise.reject(new BrokerError('AlreadyClosed', 'producer is closed'));
    const data = message.data;
    if (!Buffer.isBuffer(data)) {
      return Promise.reject(new BrokerError('InvalidArgument', 'message data must be a Buffer'));
    }
    if (data.length > this.host.maxMessageSize) {
      return Promise.reject(
        new BrokerError(
          'MessageTooBig',
          `message of ${data.length} bytes exceeds the limit of ${this.host.maxMessageSize}`,
        ),
      );
    }
    const invalid = invalidField(message);
    if (invalid !== undefined) {
      return Promise.reject(new BrokerError('InvalidArgument', invalid));
    }
    let moveFrom: { topicId: number; entryId: number } | undefined;
    if (message.moveFrom !== undefined) {
      const from = this.moveSource(message.moveFrom);
      if (from instanceof BrokerError) return Promise.reject(from);
      moveFrom = from;
    }
    if (this.maxPending > 0 && this.pending >= this.maxPending) {
      return Promise.reject(
        new BrokerError('ProducerQueueIsFull', `${this.pending} sends already pending`),
      );
    }
    const now = this.host.now();
    const props = message.properties;
    let propertiesJson: string | null = null;
    let properties: Record<string, string> | undefined;
    if (props !== undefined) {
      const bad = nonStringProperty(props);
      if (bad !== undefined) {
        return Promise.reject(
          new BrokerError('InvalidArgument', `property ${bad} must be a string`),
        );
      }
      for (const _ in props) {
        properties = { ...props };
        propertiesJson = JSON.stringify(properties);
        break;
      }
    }
    let deliverAt = message.deliverAt ?? 0;
    if (message.deliverAfter !== undefined && message.deliverAfter > 0) {
      deliverAt = now + message.deliverAfter;
    }
    const rec: StoredMessage = {
      topicId: this.topic.id,
      topic: this.topic.name,
      entryId: 0,
      publishTime: now,
      eventTime: message.eventTimestamp ?? 0,
      deliverAt,
      partitionKey: message.partitionKey,
      orderingKey: message.orderingKey,
      properties,
      data,
    };
    this.pending++;
    return new Promise<MessageId>((resolve, reject) => {
      try {
        this.host.writer.enqueue(
          new PendingSend(rec, propertiesJson, moveFrom, this, resolve, reject),
        );
      } catch (err) {
        this.pending--;
        reject(err);
      }
    });
  }

  /** The stored entry a `moveFrom` names: its topic must exist and the id be one of its own. */
  private moveSource(from: {
    topic: string;
    messageId: MessageId;
  }): { topicId: number; entryId: number } | BrokerError {
    let name: string;
    try {
      name = fullTopicName(from.topic);
    } catch {
      return new BrokerError(
        'InvalidArgument',
        `invalid topic name: ${JSON.stringify(from.topic)}`,
      );
    }
    if (name === this.topic.name)
      return new BrokerError('InvalidArgument', 'a message cannot be moved to its own topic');
    const topicId = this.host.storedTopicId(name);
    const id = from.messageId;
    const entryId = Number(id.entryId);
    if (topicId === undefined || Number(id.ledgerId) !== topicId || !(entryId > 0))
      return new BrokerError('UnknownMessageId', `${name} stores no message ${id.toString()}`);
    return { topicId, entryId };
  }

  /** @internal called by PendingSend when its transaction is over. */
  settled(): void {
    this.pending--;
  }

  async flush(): Promise<void> {
    await this.host.writer.flushed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.host.onProducerClosed(this);
    // A failed store was already reported to each send; closing still closes.
    if (!this.host.writer.isClosed) await this.host.writer.flushed().catch(() => undefined);
  }

  getProducerName(): string {
    return this.name;
  }

  getTopic(): string {
    return this.topic.name;
  }

  isConnected(): boolean {
    return !this.closed;
  }

  isClosed(): boolean {
    return this.closed;
  }
}

const TIME_FIELDS = ['eventTimestamp', 'deliverAt', 'deliverAfter'] as const;
const KEY_FIELDS = ['partitionKey', 'orderingKey'] as const;

/**
 * Checked here rather than left to the database: a row SQLite refuses would fail the whole
 * group commit, and with it every other send of that event-loop turn.
 */
function invalidField(message: ProducerMessage): string | undefined {
  for (const field of TIME_FIELDS) {
    const v: unknown = message[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      return `${field} must be a finite number of milliseconds, got ${String(v)}`;
    }
  }
  for (const field of KEY_FIELDS) {
    const v: unknown = message[field];
    if (v !== undefined && typeof v !== 'string') return `${field} must be a string`;
  }
  return undefined;
}

/** One send waiting for its commit; a class rather than closures, as there is one per message. */
class PendingSend implements PendingPublish {
  constructor(
    readonly rec: StoredMessage,
    readonly propertiesJson: string | null,
    readonly moveFrom: { topicId: number; entryId: number } | undefined,
    private readonly producer: EmbeddedProducer,
    private readonly onStored: (id: MessageId) => void,
    private readonly onFailed: (err: Error) => void,
  ) {}

  resolve(rec: StoredMessage): void {
    this.producer.settled();
    this.onStored(messageIdOf(rec.topicId, rec.entryId));
  }

  reject(err: Error): void {
    this.producer.settled();
    this.onFailed(err);
  }

  gone(): void {
    const from = this.moveFrom!;
    this.reject(
      new BrokerError(
        'UnknownMessageId',
        `message ${messageIdOf(from.topicId, from.entryId).toString()} is no longer stored: ` +
          'deleted, or moved by another send',
      ),
    );
  }
}
