import { RETRY_PROPERTIES } from '../properties.js';
import type { DeadLetterPolicy, Message, Producer, ProducerConfig } from '../types.js';

export interface LetterHost {
  createProducer(config: ProducerConfig): Promise<Producer>;
  ensureSubscription(topic: string, subscription: string): void;
}

/**
 * Retry and dead-letter publishing for one consumer, as the Pulsar clients do it: messages
 * keep their payload, keys and properties, and carry REAL_TOPIC / ORIGIN_MESSAGE_ID (and for
 * retries RECONSUMETIMES / DELAY_TIME) so Pulsar tooling reads them.
 */
export class LetterRouter {
  private dlqProducer: Promise<Producer> | undefined;
  private retryProducer: Promise<Producer> | undefined;

  constructor(
    private readonly host: LetterHost,
    readonly deadLetterTopic: string,
    private readonly policy: DeadLetterPolicy | undefined,
    readonly retryTopic: string | undefined,
  ) {}

  get maxRedeliverCount(): number | undefined {
    return this.policy?.maxRedeliverCount;
  }

  async deadLetter(msg: Message, extra?: Record<string, string>): Promise<void> {
    this.dlqProducer ??= this.openDlq();
    const producer = await this.dlqProducer;
    const props = { ...msg.getProperties(), ...extra };
    props[RETRY_PROPERTIES.realTopic] ??= msg.getTopicName();
    props[RETRY_PROPERTIES.originMessageId] ??= msg.getMessageId().toString();
    await producer.send({
      data: msg.getData(),
      properties: props,
      partitionKey: msg.getPartitionKey(),
      orderingKey: msg.getOrderingKey(),
      eventTimestamp: msg.getEventTimestamp() || undefined,
    });
  }

  async reconsume(msg: Message, delayMs: number, extra?: Record<string, string>): Promise<void> {
    const orig = msg.getProperties();
    const times = (Number(orig[RETRY_PROPERTIES.reconsumeTimes]) || 0) + 1;
    const props: Record<string, string> = { ...orig, ...extra };
    props[RETRY_PROPERTIES.realTopic] = orig[RETRY_PROPERTIES.realTopic] ?? msg.getTopicName();
    props[RETRY_PROPERTIES.originMessageId] =
      orig[RETRY_PROPERTIES.originMessageId] ?? msg.getMessageId().toString();
    props[RETRY_PROPERTIES.reconsumeTimes] = String(times);
    props[RETRY_PROPERTIES.delayTime] = String(delayMs);
    if (this.policy !== undefined && times > this.policy.maxRedeliverCount) {
      await this.deadLetter(msg, props);
      return;
    }
    this.retryProducer ??= this.host.createProducer({ topic: this.retryTopic! });
    const producer = await this.retryProducer;
    await producer.send({
      data: msg.getData(),
      properties: props,
      partitionKey: msg.getPartitionKey(),
      orderingKey: msg.getOrderingKey(),
      eventTimestamp: msg.getEventTimestamp() || undefined,
      deliverAfter: delayMs,
    });
  }

  async close(): Promise<void> {
    const producers = [this.dlqProducer, this.retryProducer].filter((p) => p !== undefined);
    await Promise.all(producers.map(async (p) => (await p).close()));
  }

  private async openDlq(): Promise<Producer> {
    if (this.policy?.initialSubscriptionName) {
      this.host.ensureSubscription(this.deadLetterTopic, this.policy.initialSubscriptionName);
    }
    return this.host.createProducer({ topic: this.deadLetterTopic });
  }
}
