import { PulsarAdminError } from './admin-error.js';
import { AdminHttp, RawJson, type AdminHttpOptions } from './http.js';
import {
  parseTopicStats,
  type AdminInternalStats,
  type AdminTopicStats,
  type RawTopicStats,
} from './stats.js';
import { namespacePath, parseTopic, topicPath } from './topic-path.js';

export type AdminClientOptions = AdminHttpOptions;

/** Where a new subscription's cursor starts. */
export type CursorPosition = 'earliest' | 'latest' | { ledgerId: bigint; entryId: bigint };

/**
 * The admin REST calls Magnetar needs (`/admin/v2`): namespace deduplication, topic creation
 * with partitions, stats and backlog, and subscription cursor moves for DLQ tooling.
 * Topics are named as the binary client names them (`persistent://t/ns/x` or short).
 */
export class PulsarAdmin {
  private readonly http: AdminHttp;

  constructor(options: AdminClientOptions) {
    this.http = new AdminHttp(options);
  }

  // --- namespaces

  async setDeduplication(namespace: string, enabled: boolean): Promise<void> {
    await this.http.send('POST', `${namespacePath(namespace)}/deduplication`, enabled);
  }

  /** The namespace policy; undefined when unset (the broker default applies). */
  async getDeduplication(namespace: string): Promise<boolean | undefined> {
    const v = await this.http.json<boolean | null>(
      'GET',
      `${namespacePath(namespace)}/deduplication`,
    );
    return v ?? undefined;
  }

  // --- topics

  async createTopic(topic: string): Promise<void> {
    await this.http.send('PUT', topicPath(topic));
  }

  async createPartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.http.send('PUT', `${topicPath(topic)}/partitions`, partitions);
  }

  /** Grows a partitioned topic to `partitions` (Pulsar never shrinks one). */
  async updatePartitionedTopic(topic: string, partitions: number): Promise<void> {
    await this.http.send('POST', `${topicPath(topic)}/partitions`, partitions);
  }

  /** Partitions of a partitioned topic; 0 for a non-partitioned (or unknown) topic. */
  async getPartitionCount(topic: string): Promise<number> {
    try {
      const meta = await this.http.json<{ partitions?: number }>(
        'GET',
        `${topicPath(topic)}/partitions`,
      );
      return meta.partitions ?? 0;
    } catch (err) {
      // A topic that does not exist yet (Pulsar answers 404 for it) has no partitions.
      if (err instanceof PulsarAdminError && err.code === 'NotFound') return 0;
      throw err;
    }
  }

  /** Persistent topics of the namespace; partitions appear as `<topic>-partition-<n>`. */
  async listTopics(namespace: string): Promise<string[]> {
    const [tenant, ns] = namespace.split('/');
    return this.http.json<string[]>('GET', `/admin/v2/persistent/${tenant}/${ns}`);
  }

  async listPartitionedTopics(namespace: string): Promise<string[]> {
    const [tenant, ns] = namespace.split('/');
    return this.http.json<string[]>('GET', `/admin/v2/persistent/${tenant}/${ns}/partitioned`);
  }

  async deleteTopic(topic: string, options: { force?: boolean } = {}): Promise<void> {
    const partitions = await this.getPartitionCount(topic);
    const suffix = partitions > 0 ? '/partitions' : '';
    await this.http.send('DELETE', `${topicPath(topic)}${suffix}?force=${!!options.force}`);
  }

  /**
   * Unloads the topic from its broker: producers and consumers are closed by the broker
   * (CLOSE_PRODUCER / CLOSE_CONSUMER) and must look it up again, as after a move.
   */
  async unloadTopic(topic: string): Promise<void> {
    await this.http.send('PUT', `${topicPath(topic)}/unload`);
  }

  /** Stats of a topic; a partitioned topic's are summed over its partitions by the broker. */
  async topicStats(topic: string): Promise<AdminTopicStats> {
    const partitions = await this.getPartitionCount(topic);
    const path =
      partitions > 0
        ? `${topicPath(topic)}/partitioned-stats?perPartition=false`
        : `${topicPath(topic)}/stats`;
    return parseTopicStats(await this.http.json<RawTopicStats>('GET', path));
  }

  async internalStats(topic: string): Promise<AdminInternalStats> {
    const raw = await this.http.json<Partial<AdminInternalStats>>(
      'GET',
      `${topicPath(topic)}/internalStats`,
    );
    return {
      numberOfEntries: raw.numberOfEntries ?? 0,
      entriesAddedCounter: raw.entriesAddedCounter ?? 0,
      lastConfirmedEntry: raw.lastConfirmedEntry ?? '',
      cursors: raw.cursors ?? {},
    };
  }

  // --- subscriptions

  async listSubscriptions(topic: string): Promise<string[]> {
    return this.http.json<string[]>('GET', `${topicPath(topic)}/subscriptions`);
  }

  async createSubscription(
    topic: string,
    subscription: string,
    position: CursorPosition = 'latest',
  ): Promise<void> {
    const id =
      position === 'latest'
        ? { ledgerId: '9223372036854775807', entryId: '9223372036854775807' }
        : position === 'earliest'
          ? { ledgerId: '-1', entryId: '-1' }
          : { ledgerId: position.ledgerId.toString(), entryId: position.entryId.toString() };
    // Sent as raw JSON numbers: ledger ids exceed 2^53.
    await this.http.send(
      'PUT',
      `${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}`,
      new RawJson(`{"ledgerId":${id.ledgerId},"entryId":${id.entryId},"partitionIndex":-1}`),
    );
  }

  async deleteSubscription(
    topic: string,
    subscription: string,
    options: { force?: boolean } = {},
  ): Promise<void> {
    await this.http.send('DELETE', `${this.subPath(topic, subscription)}?force=${!!options.force}`);
  }

  /** Marks the next `count` messages of the subscription as consumed. */
  async skipMessages(topic: string, subscription: string, count: number): Promise<void> {
    await this.http.send('POST', `${this.subPath(topic, subscription)}/skip/${count}`);
  }

  /** Clears the subscription's whole backlog. */
  async clearBacklog(topic: string, subscription: string): Promise<void> {
    await this.http.send('POST', `${this.subPath(topic, subscription)}/skip_all`);
  }

  /** Marks messages older than `seconds` as consumed. */
  async expireMessages(topic: string, subscription: string, seconds: number): Promise<void> {
    await this.http.send(
      'POST',
      `${this.subPath(topic, subscription)}/expireMessages/${Math.floor(seconds)}`,
    );
  }

  /** Moves the cursor back (or forward) to the first message published at or after `timestamp`. */
  async resetCursor(topic: string, subscription: string, timestamp: number): Promise<void> {
    await this.http.send(
      'POST',
      `${this.subPath(topic, subscription)}/resetcursor/${Math.floor(timestamp)}`,
    );
  }

  private subPath(topic: string, subscription: string): string {
    parseTopic(topic);
    return `${topicPath(topic)}/subscription/${encodeURIComponent(subscription)}`;
  }
}

export { PulsarAdminError };
