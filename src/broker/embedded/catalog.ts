import type Database from 'better-sqlite3';
import type { SubscriptionType } from '../types.js';
import { storing } from './schema.js';

export interface TopicRow {
  id: number;
  name: string;
  last_entry: number;
}

export interface SubscriptionRow {
  id: number;
  topic_id: number;
  name: string;
  type: SubscriptionType;
  mark_delete: number;
}

/**
 * Topic and subscription rows: the broker's metadata, read and written synchronously. A write
 * that fails (another process holding the lock past the busy timeout) is a BrokerError.
 */
export class Catalog {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      topicByName: db.prepare<[string], TopicRow>(
        'SELECT id, name, last_entry FROM topics WHERE name = ?',
      ),
      insertTopic: db.prepare<[string, number]>(
        'INSERT OR IGNORE INTO topics (name, last_entry, created_at) VALUES (?, 0, ?)',
      ),
      allTopics: db.prepare<[], TopicRow>('SELECT id, name, last_entry FROM topics ORDER BY name'),
      sub: db.prepare<[number, string], SubscriptionRow>(
        'SELECT id, topic_id, name, type, mark_delete FROM subscriptions WHERE topic_id = ? AND name = ?',
      ),
      subsOf: db.prepare<[number], SubscriptionRow>(
        'SELECT id, topic_id, name, type, mark_delete FROM subscriptions WHERE topic_id = ? ORDER BY name',
      ),
      insertSub: db.prepare<[number, string, string, number, number]>(
        'INSERT OR IGNORE INTO subscriptions (topic_id, name, type, mark_delete, created_at)' +
          ' VALUES (?, ?, ?, ?, ?)',
      ),
      setSubType: db.prepare<[string, number]>('UPDATE subscriptions SET type = ? WHERE id = ?'),
      acks: db.prepare<[number], { entry_id: number }>(
        'SELECT entry_id FROM acks WHERE sub_id = ? ORDER BY entry_id',
      ),
      deleteAcks: db.prepare<[number]>('DELETE FROM acks WHERE sub_id = ?'),
      deleteSub: db.prepare<[number]>('DELETE FROM subscriptions WHERE id = ?'),
    };
  }

  topic(name: string): TopicRow | undefined {
    return this.s.topicByName.get(name);
  }

  /** The topic's row, created if missing (a second process may create it at the same time). */
  ensureTopic(name: string, now: number): TopicRow {
    const found = this.s.topicByName.get(name);
    if (found) return found;
    return storing(`cannot create topic ${name}`, () => {
      this.s.insertTopic.run(name, now);
      return this.s.topicByName.get(name)!;
    });
  }

  topics(): TopicRow[] {
    return this.s.allTopics.all();
  }

  subscription(topicId: number, name: string): SubscriptionRow | undefined {
    return this.s.sub.get(topicId, name);
  }

  subscriptionsOf(topicId: number): SubscriptionRow[] {
    return this.s.subsOf.all(topicId);
  }

  ensureSubscription(
    topicId: number,
    name: string,
    type: SubscriptionType,
    markDelete: number,
    now: number,
  ): SubscriptionRow {
    return storing(`cannot create subscription ${name}`, () => {
      this.s.insertSub.run(topicId, name, type, markDelete, now);
      return this.s.sub.get(topicId, name)!;
    });
  }

  setSubscriptionType(id: number, type: SubscriptionType): void {
    storing(`cannot change a subscription's type to ${type}`, () =>
      this.s.setSubType.run(type, id),
    );
  }

  acks(subId: number): number[] {
    return this.s.acks.all(subId).map((r) => r.entry_id);
  }

  deleteSubscription(id: number): void {
    storing('cannot delete the subscription', () =>
      this.db
        .transaction(() => {
          this.s.deleteAcks.run(id);
          this.s.deleteSub.run(id);
        })
        .immediate(),
    );
  }
}
