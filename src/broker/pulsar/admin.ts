import {
  PulsarClientError,
  partitionTopicName,
  type Consumer as PulsarConsumer,
  type PulsarClient,
} from '../../pulsar/index.js';
import { PulsarAdminError, type PulsarAdmin } from '../../pulsar/admin/index.js';
import { fullTopicName } from '../topic-name.js';
import { readLimit } from '../read-limit.js';
import type {
  BrokerAdmin,
  Message,
  MessageId,
  ReadOptions,
  SubscriptionType,
  TopicStats,
} from '../types.js';
import { mapped } from './errors.js';
import { PulsarBrokerMessage } from './message.js';

/**
 * The subscription that stands for "what the topic stores". Pulsar cannot delete single
 * messages; acking them on this subscription is how they are deleted from the operator's
 * view (readMessages, deleteMessages, purge). It is hidden from topicStats.
 */
export const VIEW_SUBSCRIPTION = '__magnetar-admin-view';

const TYPES: Record<string, SubscriptionType> = {
  Exclusive: 'Exclusive',
  Shared: 'Shared',
  Failover: 'Failover',
  Key_Shared: 'KeyShared',
};

/** BrokerAdmin over Pulsar's admin REST API and a view subscription read with the client. */
export class PulsarBrokerAdmin implements BrokerAdmin {
  /** Reads of one topic's view run one at a time: the view consumer is exclusive. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly client: PulsarClient,
    private readonly rest: PulsarAdmin,
    private readonly namespace = 'public/default',
  ) {}

  listTopics(): Promise<string[]> {
    return mapped(async () => {
      const [topics, partitioned] = await Promise.all([
        this.rest.listTopics(this.namespace),
        this.rest.listPartitionedTopics(this.namespace),
      ]);
      const names = new Set(partitioned);
      for (const t of topics) if (!/-partition-\d+$/.test(t)) names.add(t);
      return [...names].sort();
    });
  }

  topicStats(topic: string): Promise<TopicStats> {
    const full = fullTopicName(topic);
    return mapped(async () => {
      const s = await this.rest.topicStats(full);
      const view = s.subscriptions.find((x) => x.name === VIEW_SUBSCRIPTION);
      const subs = s.subscriptions.filter((x) => x.name !== VIEW_SUBSCRIPTION);
      return {
        topic: full,
        messages: view ? view.msgBacklog : Math.max(0, ...subs.map((x) => x.msgBacklog)),
        subscriptions: subs.map((x) => ({
          name: x.name,
          type: TYPES[x.type] ?? 'Exclusive',
          backlog: x.msgBacklog,
          consumers: x.consumers,
        })),
      };
    });
  }

  /** Oldest first within a partition; a partitioned topic's partitions one after the other. */
  async readMessages(topic: string, options: ReadOptions = {}): Promise<Message[]> {
    const limit = readLimit(options);
    const after = options.after;
    const out: Message[] = [];
    for (const part of await this.parts(topic)) {
      // Partitions before the cursor's were read by earlier pages (ids sort by partition).
      if (after && part.index >= 0 && part.index < after.partition) continue;
      const all = await this.withView(part.name, async (_view, held) => held);
      for (const m of all) if (!after || m.getMessageId().compare(after) > 0) out.push(m);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  /**
   * Acks the messages on the view and on every subscription no consumer reads now: Pulsar
   * keeps a message while any subscription still holds it, and a never-reading one (the
   * retention subscription of a dead-letter topic, say) would keep deleted messages for
   * ever, as backlog. On the embedded broker the rows go, from every subscription. A
   * subscription with consumers is left alone: they ack what they process, and a reader
   * joining them would take messages from them. On a partitioned topic each id goes to the
   * partition it names.
   */
  async deleteMessages(topic: string, ids: MessageId[]): Promise<number> {
    let deleted = 0;
    for (const part of await this.parts(topic)) {
      const mine = part.index < 0 ? ids : ids.filter((id) => id.partition === part.index);
      if (mine.length > 0) deleted += await this.deleteFrom(part.name, mine);
    }
    return deleted;
  }

  private deleteFrom(full: string, ids: MessageId[]): Promise<number> {
    const wanted = new Set(ids.map((id) => id.toString()));
    return this.withView(full, async (view, all) => {
      const hits = all.filter((m) => wanted.has(m.getMessageId().toString()));
      for (const m of hits) await view.acknowledge(m.inner);
      if (hits.length === 0) return 0;
      const stats = await this.rest.topicStats(full);
      for (const sub of stats.subscriptions) {
        if (sub.name === VIEW_SUBSCRIPTION || sub.consumers > 0 || sub.msgBacklog === 0) continue;
        const keep = (m: PulsarBrokerMessage) => wanted.has(m.getMessageId().toString());
        try {
          await this.readSubscription(full, sub.name, sub.msgBacklog, keep, async (c, held) => {
            for (const m of held) await c.acknowledge(m.inner);
          });
        } catch (err) {
          // A consumer came meanwhile: that subscription is read now, so left alone.
          if (!(err instanceof PulsarClientError && err.result === 'ConsumerBusy')) throw err;
        }
      }
      return hits.length;
    });
  }

  async purge(topic: string): Promise<number> {
    let purged = 0;
    for (const part of await this.parts(topic)) {
      // Every subscription loses its backlog, the view included (skip_all after close).
      purged += await this.withView(part.name, async (_view, all) => all.length);
      await mapped(async () => {
        for (const sub of await this.rest.listSubscriptions(part.name))
          await this.rest.clearBacklog(part.name, sub);
      });
    }
    return purged;
  }

  /**
   * The topics that hold the messages: the topic itself (index -1), or each partition of a
   * partitioned one, which the client reads one by one.
   */
  private async parts(topic: string): Promise<{ name: string; index: number }[]> {
    const full = fullTopicName(topic);
    const partitions = await mapped(() => this.rest.getPartitionCount(full));
    if (partitions === 0) return [{ name: full, index: -1 }];
    return Array.from({ length: partitions }, (_, i) => ({
      name: partitionTopicName(full, i),
      index: i,
    }));
  }

  /**
   * Opens the view subscription (created at the earliest message on first use), reads
   * everything it still holds, hands it to `fn`, and closes it without acking the rest.
   */
  private withView<T>(
    topic: string,
    fn: (view: PulsarConsumer, all: PulsarBrokerMessage[]) => Promise<T>,
  ): Promise<T> {
    const full = fullTopicName(topic);
    const prev = this.locks.get(full) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => mapped(() => this.readView(full, fn)));
    this.locks.set(full, run);
    void run
      .finally(() => {
        if (this.locks.get(full) === run) this.locks.delete(full);
      })
      .catch(() => undefined);
    return run;
  }

  private async readView<T>(
    topic: string,
    fn: (view: PulsarConsumer, all: PulsarBrokerMessage[]) => Promise<T>,
  ): Promise<T> {
    try {
      await this.rest.createSubscription(topic, VIEW_SUBSCRIPTION, 'earliest');
    } catch (err) {
      if (!(err instanceof PulsarAdminError && err.code === 'Conflict')) throw err;
    }
    const stats = await this.rest.topicStats(topic);
    const backlog = stats.subscriptions.find((s) => s.name === VIEW_SUBSCRIPTION)?.msgBacklog ?? 0;
    return this.readSubscription(topic, VIEW_SUBSCRIPTION, backlog, undefined, fn);
  }

  /**
   * Reads what `subscription` holds, hands what `keep` accepts (all by default) to `fn`, and
   * closes it without acking the rest. Exclusive: a single-consumer dispatcher keeps no
   * redelivery count, so the read leaves none behind on the subscription.
   */
  private async readSubscription<T>(
    topic: string,
    subscription: string,
    backlog: number,
    keep: ((m: PulsarBrokerMessage) => boolean) | undefined,
    fn: (consumer: PulsarConsumer, held: PulsarBrokerMessage[]) => Promise<T>,
  ): Promise<T> {
    const consumer = await this.client.subscribe({
      topic,
      subscription,
      subscriptionType: 'Exclusive',
      receiverQueueSize: 1000,
      // Acks land before the consumer closes, so the backlog is down when this returns.
      ackReceiptEnabled: true,
    });
    try {
      const held: PulsarBrokerMessage[] = [];
      const entries = new Set<string>();
      // The backlog counts entries; a batch holds several messages, so read until quiet.
      for (;;) {
        let m;
        try {
          m = await consumer.receive(entries.size < backlog ? 5000 : 200);
        } catch {
          break;
        }
        const message = new PulsarBrokerMessage(m);
        if (!keep || keep(message)) held.push(message);
        entries.add(m.getMessageId().entryKey());
      }
      return await fn(consumer, held);
    } finally {
      await consumer.close();
    }
  }
}
