import type Database from 'better-sqlite3';
import { readLimit } from '../read-limit.js';
import { fullTopicName } from '../topic-name.js';
import type { BrokerAdmin, Message, MessageId, ReadOptions, TopicStats } from '../types.js';
import type { Catalog } from './catalog.js';
import { StatementsByLimit } from './statements-by-limit.js';
import { storing } from './schema.js';
import { EmbeddedMessage, fromRow, type MessageRow } from './stored-message.js';
import type { Topic } from './topic.js';

export interface AdminHost {
  readonly catalog: Catalog;
  /** The in-memory topic, if this process has it open. */
  loadedTopic(name: string): Topic | undefined;
  /** Consumers connected in this process to a subscription. */
  consumersOf(topic: Topic | undefined, subscription: string): number;
  /** Whether another process consumes the subscription (by its catalog id). */
  consumedElsewhere(subscriptionId: number): boolean;
  flushed(): Promise<void>;
  assertOpen(): void;
}

/**
 * Operator reads and deletes straight on the SQLite file, so they also work from a second
 * process (the CLI) while the service runs. Deleting a message counts as an ack for every
 * subscription loaded in this process.
 */
export class EmbeddedAdmin implements BrokerAdmin {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly host: AdminHost,
  ) {
    this.s = {
      count: db.prepare<[number], { n: number }>(
        'SELECT count(*) AS n FROM messages WHERE topic_id = ?',
      ),
      countAfter: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) AS n FROM messages WHERE topic_id = ? AND entry_id > ?',
      ),
      countAcks: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) AS n FROM acks a JOIN messages m ON m.topic_id = ? AND m.entry_id = a.entry_id' +
          ' WHERE a.sub_id = ?',
      ),
      read: new StatementsByLimit<[number, number], MessageRow>(
        db,
        'SELECT * FROM messages WHERE topic_id = ? AND entry_id > ? ORDER BY entry_id',
      ),
      deleteOne: db.prepare<[number, number]>(
        'DELETE FROM messages WHERE topic_id = ? AND entry_id = ?',
      ),
      purge: db.prepare<[number]>('DELETE FROM messages WHERE topic_id = ?'),
      // A lock held past the busy timeout (or another SQLite failure) is a BrokerError.
      tx: (doing: string, fn: () => number) => storing(doing, () => db.transaction(fn).immediate()),
    };
  }

  async listTopics(): Promise<string[]> {
    this.host.assertOpen();
    return this.host.catalog.topics().map((t) => t.name);
  }

  async topicStats(topic: string): Promise<TopicStats> {
    this.host.assertOpen();
    await this.host.flushed();
    const name = fullTopicName(topic);
    const row = this.host.catalog.topic(name);
    if (row === undefined) return { topic: name, messages: 0, subscriptions: [] };
    const loaded = this.host.loadedTopic(name);
    return {
      topic: name,
      messages: this.s.count.get(row.id)!.n,
      subscriptions: this.host.catalog.subscriptionsOf(row.id).map((sub) => ({
        name: sub.name,
        type: sub.type,
        backlog:
          this.s.countAfter.get(row.id, sub.mark_delete)!.n -
          this.s.countAcks.get(row.id, sub.id)!.n,
        // Another process's consumers count as one: only their holder knows how many.
        consumers:
          this.host.consumersOf(loaded, sub.name) || (this.host.consumedElsewhere(sub.id) ? 1 : 0),
      })),
    };
  }

  async readMessages(topic: string, options?: ReadOptions): Promise<Message[]> {
    this.host.assertOpen();
    const limit = readLimit(options);
    await this.host.flushed();
    const name = fullTopicName(topic);
    const row = this.host.catalog.topic(name);
    if (row === undefined) return [];
    const after = options?.after;
    let from = 0;
    if (after !== undefined && Number(after.ledgerId) === row.id) from = Number(after.entryId);
    return this.s.read
      .limit(limit)
      .all(row.id, from)
      .map((r) => new EmbeddedMessage(fromRow(r, name), 0));
  }

  async deleteMessages(topic: string, ids: MessageId[]): Promise<number> {
    this.host.assertOpen();
    const name = fullTopicName(topic);
    const row = this.host.catalog.topic(name);
    if (row === undefined) return 0;
    const entries = ids
      .filter((id) => Number(id.ledgerId) === row.id)
      .map((id) => Number(id.entryId));
    // Only the entries that existed: acking an id not written yet would skip that future entry.
    const deleted: number[] = [];
    this.s.tx(`cannot delete messages of ${name}`, () => {
      for (const e of entries) if (this.s.deleteOne.run(row.id, e).changes > 0) deleted.push(e);
      return deleted.length;
    });
    this.host.loadedTopic(name)?.onDeleted(deleted);
    return deleted.length;
  }

  async purge(topic: string): Promise<number> {
    this.host.assertOpen();
    await this.host.flushed();
    const name = fullTopicName(topic);
    const row = this.host.catalog.topic(name);
    if (row === undefined) return 0;
    const deleted = this.s.tx(`cannot purge ${name}`, () => this.s.purge.run(row.id).changes);
    const loaded = this.host.loadedTopic(name);
    if (loaded !== undefined) {
      loaded.resetCache();
      for (const sub of loaded.subscriptions.values()) sub.ackCumulative(loaded.lastEntry);
    }
    return deleted;
  }
}
