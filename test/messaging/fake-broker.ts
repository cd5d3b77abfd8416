/**
 * A small in-memory stand-in for the Broker contract, for unit tests of the messaging logic
 * only (the real proofs run on the embedded broker). It keeps just enough semantics: one
 * consumer per subscription, ack, nack with delay, reconsumeLater through the retry topic,
 * delayed delivery, a connected switch and a gate that holds sends.
 */
import type {
  Broker,
  BrokerAdmin,
  Consumer,
  ConsumerConfig,
  Message,
  MessageId,
  Producer,
  ProducerConfig,
  ProducerMessage,
} from '../../src/broker/index.js';
import {
  BrokerError,
  BrokerMessageId,
  RETRY_PROPERTIES,
  fullTopicName,
  retryTopicName,
} from '../../src/broker/index.js';

export interface StoredMessage {
  id: BrokerMessageId;
  topic: string;
  data: Buffer;
  properties: Record<string, string>;
  partitionKey?: string;
  orderingKey?: string;
  publishTime: number;
  eventTime: number;
  deliverAt: number;
}

export class FakeMessage implements Message {
  constructor(
    readonly stored: StoredMessage,
    readonly redeliveryCount = 0,
  ) {}
  getTopicName = () => this.stored.topic;
  getData = () => this.stored.data;
  getMessageId = (): MessageId => this.stored.id;
  getProperties = () => ({ ...this.stored.properties });
  getPartitionKey = () => this.stored.partitionKey;
  getOrderingKey = () => this.stored.orderingKey;
  getPublishTimestamp = () => this.stored.publishTime;
  getEventTimestamp = () => this.stored.eventTime;
  getRedeliveryCount = () => this.redeliveryCount;
}

export function fakeMessage(
  data: string | Buffer,
  properties: Record<string, string> = {},
  extra: Partial<StoredMessage> = {},
): FakeMessage {
  return new FakeMessage({
    id: new BrokerMessageId(1n, BigInt(Math.floor(Math.random() * 1e9))),
    topic: 'persistent://public/default/t',
    data: Buffer.isBuffer(data) ? data : Buffer.from(data),
    properties,
    publishTime: Date.now(),
    eventTime: 0,
    deliverAt: 0,
    ...extra,
  });
}

class FakeConsumer implements Consumer {
  readonly ready: FakeMessage[] = [];
  readonly acked: MessageId[] = [];
  private waiters: Array<(m: FakeMessage) => void> = [];
  closed = false;

  constructor(
    private readonly broker: FakeBroker,
    readonly config: ConsumerConfig,
  ) {}

  deliver(m: FakeMessage): void {
    if (this.closed) return;
    const w = this.waiters.shift();
    if (w) w(m);
    else this.ready.push(m);
  }

  receive(timeoutMs?: number): Promise<Message> {
    const m = this.ready.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const w = (msg: FakeMessage) => {
        clearTimeout(timer);
        resolve(msg);
      };
      this.waiters.push(w);
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiters = this.waiters.filter((x) => x !== w);
              reject(new BrokerError('Timeout', 'receive timed out'));
            }, timeoutMs);
    });
  }
  async acknowledge(message: Message) {
    this.acked.push(message.getMessageId());
  }
  async acknowledgeId(id: MessageId) {
    this.acked.push(id);
  }
  async acknowledgeCumulative(message: Message) {
    this.acked.push(message.getMessageId());
  }
  negativeAcknowledge(message: Message): void {
    const m = message as FakeMessage;
    setTimeout(
      () => this.deliver(new FakeMessage(m.stored, m.redeliveryCount + 1)),
      this.config.nAckRedeliverTimeoutMs ?? 60_000,
    );
  }
  async reconsumeLater(message: Message, delayMs: number, properties?: Record<string, string>) {
    if (!this.broker.connected) throw new BrokerError('NotConnected', 'not connected');
    await this.acknowledge(message);
    const p = message.getProperties();
    const topic = this.config.topic!;
    const times = Number(p[RETRY_PROPERTIES.reconsumeTimes] ?? 0) + 1;
    await this.broker.store(retryTopicName(topic, this.config.subscription), {
      data: message.getData(),
      partitionKey: message.getPartitionKey(),
      deliverAfter: delayMs,
      properties: {
        ...p,
        ...properties,
        [RETRY_PROPERTIES.realTopic]: p[RETRY_PROPERTIES.realTopic] ?? message.getTopicName(),
        [RETRY_PROPERTIES.originMessageId]:
          p[RETRY_PROPERTIES.originMessageId] ?? message.getMessageId().toString(),
        [RETRY_PROPERTIES.reconsumeTimes]: String(times),
        [RETRY_PROPERTIES.delayTime]: String(delayMs),
      },
    });
  }
  async unsubscribe() {
    await this.close();
  }
  async close() {
    this.closed = true;
    this.broker.detach(this);
  }
  isConnected = () => this.broker.connected && !this.closed;
  getSubscription = () => this.config.subscription;
}

export class FakeBroker implements Broker {
  readonly kind = 'embedded' as const;
  connected = true;
  /** While set, sends wait for it to resolve. */
  gate: Promise<void> | undefined;
  producersCreated = 0;
  readonly topics = new Map<string, StoredMessage[]>();
  private readonly consumers = new Map<string, FakeConsumer[]>();
  private nextEntry = 0n;

  async store(topic: string, m: ProducerMessage): Promise<BrokerMessageId> {
    if (!this.connected) throw new BrokerError('NotConnected', 'not connected');
    if (this.gate) {
      await this.gate;
      // The connection may have dropped while the send was held.
      if (!this.connected) throw new BrokerError('NotConnected', 'not connected');
    }
    const full = fullTopicName(topic);
    const now = Date.now();
    const stored: StoredMessage = {
      id: new BrokerMessageId(1n, this.nextEntry++),
      topic: full,
      data: m.data,
      properties: { ...m.properties },
      partitionKey: m.partitionKey,
      orderingKey: m.orderingKey,
      publishTime: now,
      eventTime: m.eventTimestamp ?? 0,
      deliverAt: m.deliverAt ?? (m.deliverAfter ? now + m.deliverAfter : 0),
    };
    if (!this.topics.has(full)) this.topics.set(full, []);
    this.topics.get(full)!.push(stored);
    const wait = Math.max(0, stored.deliverAt - now);
    for (const c of this.consumers.get(full) ?? []) {
      if (wait > 0) setTimeout(() => c.deliver(new FakeMessage(stored)), wait);
      else c.deliver(new FakeMessage(stored));
    }
    return stored.id;
  }

  async createProducer(config: ProducerConfig): Promise<Producer> {
    if (!this.connected) throw new BrokerError('NotConnected', 'not connected');
    this.producersCreated++;
    const topic = fullTopicName(config.topic);
    let closed = false;
    return {
      send: (m) => this.store(topic, m),
      flush: async () => {},
      close: async () => {
        closed = true;
      },
      getProducerName: () => 'fake',
      getTopic: () => topic,
      isConnected: () => this.connected,
      isClosed: () => closed,
    };
  }

  async subscribe(config: ConsumerConfig): Promise<Consumer> {
    const c = new FakeConsumer(this, config);
    const topics = [fullTopicName(config.topic!)];
    if (config.retryEnable) topics.push(retryTopicName(config.topic!, config.subscription));
    for (const t of topics) {
      if (!this.consumers.has(t)) this.consumers.set(t, []);
      this.consumers.get(t)!.push(c);
    }
    return c;
  }

  detach(c: FakeConsumer): void {
    for (const list of this.consumers.values()) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    }
  }

  readonly admin: BrokerAdmin = {
    listTopics: async () => [...this.topics.keys()],
    topicStats: async (topic) => ({
      topic,
      messages: this.topics.get(fullTopicName(topic))?.length ?? 0,
      subscriptions: [],
    }),
    readMessages: async (topic, options = {}) => {
      const list = this.topics.get(fullTopicName(topic)) ?? [];
      return list
        .filter((m) => !options.after || m.id.compare(options.after) > 0)
        .slice(0, options.limit ?? 100)
        .map((m) => new FakeMessage(m));
    },
    deleteMessages: async (topic, ids) => {
      const list = this.topics.get(fullTopicName(topic)) ?? [];
      const keep = list.filter((m) => !ids.some((id) => id.equals(m.id)));
      this.topics.set(fullTopicName(topic), keep);
      return list.length - keep.length;
    },
    purge: async (topic) => {
      const n = this.topics.get(fullTopicName(topic))?.length ?? 0;
      this.topics.set(fullTopicName(topic), []);
      return n;
    },
  };

  isConnected = () => this.connected;
  async close() {
    this.connected = false;
  }
}
