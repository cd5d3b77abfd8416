import type { PulsarClient, Producer as PulsarProducer } from '../../pulsar/index.js';
import { PulsarAdminError, type PulsarAdmin } from '../../pulsar/admin/index.js';
import {
  createTopicProducer,
  type PartitionedProducer,
} from '../../pulsar/partitioned-producer.js';
import { RETRY_PROPERTIES } from '../properties.js';
import { deadLetterTopicName, fullTopicName, retryTopicName } from '../topic-name.js';
import type { ConsumerConfig, Message } from '../types.js';

/** `t-partition-3` -> `t`: letters of a partitioned topic are named after the topic itself. */
export function baseTopic(topic: string): string {
  return topic.replace(/-partition-\d+$/, '');
}

/**
 * Client-side retry letter topic and dead-letter policy, as the Java client does them:
 * topics `<topic>-<subscription>-RETRY` / `-DLQ`, properties REAL_TOPIC, ORIGIN_MESSAGE_ID,
 * RECONSUMETIMES and DELAY_TIME, the key and event time carried over. Letters are sent
 * unbatched so each can be read, deleted or replayed on its own.
 */
export class Letters {
  private readonly producers = new Map<string, Promise<PulsarProducer | PartitionedProducer>>();
  private readonly dlqSubscriptionsMade = new Set<string>();

  constructor(
    private readonly client: PulsarClient,
    private readonly admin: PulsarAdmin,
    private readonly config: ConsumerConfig,
  ) {}

  /** The topic the message was first published to (before any retry). */
  realTopic(m: Message): string {
    return m.getProperties()[RETRY_PROPERTIES.realTopic] ?? baseTopic(m.getTopicName());
  }

  retryTopic(topic: string): string {
    return this.config.retryLetterTopic
      ? fullTopicName(this.config.retryLetterTopic)
      : retryTopicName(baseTopic(topic), this.config.subscription);
  }

  deadLetterTopic(topic: string): string {
    const policy = this.config.deadLetterPolicy;
    return policy?.deadLetterTopic
      ? fullTopicName(policy.deadLetterTopic)
      : deadLetterTopicName(baseTopic(topic), this.config.subscription);
  }

  /** Properties of a letter: the message's own plus where it came from. */
  private letterProperties(m: Message): Record<string, string> {
    const props = { ...m.getProperties() };
    props[RETRY_PROPERTIES.realTopic] ??= baseTopic(m.getTopicName());
    props[RETRY_PROPERTIES.originMessageId] ??= m.getMessageId().toString();
    return props;
  }

  /**
   * Sends `m` to the retry topic (delivered after `delayMs`), or to the dead-letter topic once
   * its RECONSUMETIMES passes maxRedeliverCount. Resolves once the letter is stored.
   */
  async reconsumeLater(m: Message, delayMs: number, extra: Record<string, string> = {}) {
    const props = { ...this.letterProperties(m), ...extra };
    const times = Number(m.getProperties()[RETRY_PROPERTIES.reconsumeTimes] ?? '0') + 1;
    props[RETRY_PROPERTIES.reconsumeTimes] = String(times);
    props[RETRY_PROPERTIES.delayTime] = String(delayMs);
    const max = this.config.deadLetterPolicy?.maxRedeliverCount;
    const real = this.realTopic(m);
    if (max !== undefined && times > max) {
      await this.send(this.deadLetterTopic(real), m, props, 0, true);
      return;
    }
    await this.send(this.retryTopic(real), m, props, delayMs, false);
  }

  async deadLetter(m: Message): Promise<void> {
    await this.send(this.deadLetterTopic(this.realTopic(m)), m, this.letterProperties(m), 0, true);
  }

  async close(): Promise<void> {
    const all = [...this.producers.values()];
    this.producers.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private async send(
    topic: string,
    m: Message,
    properties: Record<string, string>,
    delayMs: number,
    isDeadLetter: boolean,
  ): Promise<void> {
    if (isDeadLetter) await this.ensureDeadLetterSubscription(topic);
    const producer = await this.producer(topic);
    await producer.send({
      data: m.getData(),
      properties,
      partitionKey: m.getPartitionKey(),
      orderingKey: m.getOrderingKey(),
      eventTimestamp: m.getEventTimestamp() || undefined,
      deliverAfter: delayMs > 0 ? delayMs : undefined,
    });
  }

  private producer(topic: string): Promise<PulsarProducer | PartitionedProducer> {
    let p = this.producers.get(topic);
    if (!p) {
      const made = this.createProducer(topic);
      // A producer the broker closed for good (its topic deleted or terminated) is dropped, so
      // the next letter makes a new one, once an operator has made the topic again.
      made.then(
        (producer) =>
          producer.once('closed', (failure?: unknown) => {
            if (failure !== undefined && this.producers.get(topic) === made)
              this.producers.delete(topic);
          }),
        () => this.producers.delete(topic),
      );
      this.producers.set(topic, (p = made));
    }
    return p;
  }

  /**
   * An operator may create a retry or dead-letter topic partitioned (or a broker creating
   * topics partitioned does): its letters then go to its partitions, which the consumer reads.
   */
  private createProducer(topic: string): Promise<PulsarProducer | PartitionedProducer> {
    return createTopicProducer(this.client, { topic, batchingEnabled: false });
  }

  /** DeadLetterPolicy.initialSubscriptionName: created before the first letter so it is kept. */
  private async ensureDeadLetterSubscription(topic: string): Promise<void> {
    const name = this.config.deadLetterPolicy?.initialSubscriptionName;
    if (!name || this.dlqSubscriptionsMade.has(topic)) return;
    try {
      await this.admin.createSubscription(topic, name, 'earliest');
    } catch (err) {
      if (!(err instanceof PulsarAdminError && err.code === 'Conflict')) throw err;
    }
    this.dlqSubscriptionsMade.add(topic);
  }
}
