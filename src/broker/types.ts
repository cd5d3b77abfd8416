/**
 * The Broker contract. Shaped like the official Apache Pulsar Node.js client
 * (createProducer / subscribe / Message / MessageId), so code written against it
 * runs unchanged on the embedded broker and on a real Pulsar cluster.
 *
 * Implementations: `embedded` (SQLite, WAL) and `pulsar` (adapter over src/pulsar).
 */

export type SubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'KeyShared';
export type InitialPosition = 'Latest' | 'Earliest';

/** Position of a message. Pulsar's (ledgerId, entryId, partition, batchIndex). */
export interface MessageId {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
  /** Partition index, -1 for a non-partitioned topic. */
  readonly partition: number;
  /** Index inside a batch, -1 when the entry is not a batch. */
  readonly batchIndex: number;
  /** `ledgerId:entryId:partition[:batchIndex]`, stable, parseable by `parseMessageId`. */
  toString(): string;
  equals(other: MessageId): boolean;
  /** Negative, zero or positive, ordered as the broker stores messages of one topic. */
  compare(other: MessageId): number;
}

export interface ProducerMessage {
  data: Buffer;
  properties?: Record<string, string>;
  /** Routes to a partition and, unless orderingKey is set, keys Key_Shared dispatch. */
  partitionKey?: string;
  /** Overrides partitionKey for Key_Shared dispatch. */
  orderingKey?: string;
  /** Event time, epoch ms. */
  eventTimestamp?: number;
  /** Deliver no earlier than this epoch ms (Shared and KeyShared subscriptions only, as in Pulsar). */
  deliverAt?: number;
  /** Deliver no earlier than now + this many ms. */
  deliverAfter?: number;
  /** Explicit sequence id (deduplication); default: producer's next. */
  sequenceId?: number;
  /**
   * Only where `Broker.movesOnSend` is true (the embedded broker): the message replaces this
   * stored message of another topic. The transaction that stores it also deletes that one, and
   * stores nothing when it is gone already (deleted, or moved by another send, from any
   * process); the send then fails with `UnknownMessageId`. So the message ends up in one of
   * the two topics, never both, never neither, however many sends race for it. A broker
   * without moves refuses the send with `NotAllowed`.
   */
  moveFrom?: { topic: string; messageId: MessageId };
}

export interface Message {
  getTopicName(): string;
  getData(): Buffer;
  getMessageId(): MessageId;
  getProperties(): Record<string, string>;
  getPartitionKey(): string | undefined;
  getOrderingKey(): string | undefined;
  /** Epoch ms set by the broker/producer at publish. */
  getPublishTimestamp(): number;
  /** Epoch ms from ProducerMessage.eventTimestamp, 0 if unset. */
  getEventTimestamp(): number;
  /** How many times this message was delivered to this subscription before, 0 on first delivery. */
  getRedeliveryCount(): number;
}

export interface ProducerConfig {
  topic: string;
  producerName?: string;
  /** Reject a send that got no receipt within this time. Default 30000; 0 = no timeout. */
  sendTimeoutMs?: number;
  /** Pending sends allowed before `send` rejects with ProducerQueueIsFull. Default 1000. */
  maxPendingMessages?: number;
  /** Default true. */
  batchingEnabled?: boolean;
  /** Default 1000. */
  batchingMaxMessages?: number;
  /** Default 10. */
  batchingMaxPublishDelayMs?: number;
  /** Default 128 KiB. */
  batchingMaxBytes?: number;
}

export interface Producer {
  /** Resolves once the broker has durably stored the message. */
  send(message: ProducerMessage): Promise<MessageId>;
  flush(): Promise<void>;
  close(): Promise<void>;
  getProducerName(): string;
  getTopic(): string;
  isConnected(): boolean;
  /**
   * True once the producer is closed: by close(), or by the broker for good (Pulsar: its
   * topic was deleted with auto-creation off, or terminated), when every send rejects with
   * the broker's reason. A closed producer never sends again: make a new one.
   */
  isClosed(): boolean;
}

export interface DeadLetterPolicy {
  /** Default `<topic>-<subscription>-DLQ`. */
  deadLetterTopic?: string;
  /** Deliveries after which a nacked / timed-out / retried message is dead-lettered. */
  maxRedeliverCount: number;
  /** Subscription created on the dead-letter topic so its messages are retained. */
  initialSubscriptionName?: string;
}

export type MessageListener = (message: Message, consumer: Consumer) => void | Promise<void>;

export interface ConsumerConfig {
  topic?: string;
  topics?: string[];
  subscription: string;
  /** Default 'Exclusive'. */
  subscriptionType?: SubscriptionType;
  /** Default 'Latest'. */
  subscriptionInitialPosition?: InitialPosition;
  consumerName?: string;
  /** Messages prefetched; bounds unacked dispatch on Shared. Default 1000. */
  receiverQueueSize?: number;
  /** Redeliver a message not acked within this time. Default 0 (off); minimum 10000 in Pulsar. */
  ackTimeoutMs?: number;
  /** Delay before a nacked message is redelivered. Default 60000. */
  nAckRedeliverTimeoutMs?: number;
  deadLetterPolicy?: DeadLetterPolicy;
  /** Enables reconsumeLater through the retry letter topic. Default false. */
  retryEnable?: boolean;
  /** Default `<topic>-<subscription>-RETRY`. */
  retryLetterTopic?: string;
  listener?: MessageListener;
}

export interface Consumer {
  /** Next message; rejects with BrokerError 'Timeout' when timeoutMs passes first. */
  receive(timeoutMs?: number): Promise<Message>;
  acknowledge(message: Message): Promise<void>;
  acknowledgeId(messageId: MessageId): Promise<void>;
  /** Acks this message and every earlier one (Exclusive and Failover only). */
  acknowledgeCumulative(message: Message): Promise<void>;
  negativeAcknowledge(message: Message): void;
  /**
   * Acks the message and republishes it to the retry letter topic, to be delivered again
   * after delayMs with RECONSUMETIMES incremented; after maxRedeliverCount it goes to the DLQ.
   */
  reconsumeLater(
    message: Message,
    delayMs: number,
    properties?: Record<string, string>,
  ): Promise<void>;
  unsubscribe(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;
  getSubscription(): string;
}

export interface SubscriptionStats {
  name: string;
  type: SubscriptionType;
  /** Messages not yet acked by this subscription. */
  backlog: number;
  consumers: number;
}

export interface TopicStats {
  topic: string;
  /** Messages stored (not yet deleted by retention). */
  messages: number;
  subscriptions: SubscriptionStats[];
}

export interface ReadOptions {
  /** Default 100. */
  limit?: number;
  /** Start after this id (exclusive); default the oldest stored. */
  after?: MessageId;
}

/** Operator surface: topics, backlog, reading and deleting stored messages (DLQ tooling). */
export interface BrokerAdmin {
  listTopics(): Promise<string[]>;
  topicStats(topic: string): Promise<TopicStats>;
  /** Non-destructive read, oldest first. */
  readMessages(topic: string, options?: ReadOptions): Promise<Message[]>;
  /** Deletes the given messages; returns how many were deleted. */
  deleteMessages(topic: string, ids: MessageId[]): Promise<number>;
  /** Deletes every message of the topic; returns how many were deleted. */
  purge(topic: string): Promise<number>;
}

export interface Broker {
  readonly kind: 'embedded' | 'pulsar';
  createProducer(config: ProducerConfig): Promise<Producer>;
  subscribe(config: ConsumerConfig): Promise<Consumer>;
  readonly admin: BrokerAdmin;
  /** True when its producers honour `ProducerMessage.moveFrom`. */
  readonly movesOnSend?: boolean;
  /** True while the broker can take publishes. */
  isConnected(): boolean;
  /** Why isConnected() is false, in words for readiness details; undefined while connected. */
  notConnectedReason?(): string | undefined;
  close(): Promise<void>;
}
