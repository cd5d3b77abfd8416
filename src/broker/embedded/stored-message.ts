import { BrokerMessageId } from '../message-id.js';
import type { Message, MessageId } from '../types.js';

/** A committed message as the broker keeps it in memory (shared by every subscription). */
export interface StoredMessage {
  topicId: number;
  topic: string;
  entryId: number;
  publishTime: number;
  eventTime: number;
  /** 0 when not delayed. */
  deliverAt: number;
  partitionKey: string | undefined;
  orderingKey: string | undefined;
  properties: Record<string, string> | undefined;
  data: Buffer;
  /** Key_Shared slot, computed on first use. */
  stickyHash?: number;
}

/** Row shape of `SELECT * FROM messages`. */
export interface MessageRow {
  topic_id: number;
  entry_id: number;
  publish_time: number;
  event_time: number;
  deliver_at: number;
  partition_key: string | null;
  ordering_key: string | null;
  properties: string | null;
  data: Buffer;
}

export function fromRow(row: MessageRow, topic: string): StoredMessage {
  return {
    topicId: row.topic_id,
    topic,
    entryId: row.entry_id,
    publishTime: row.publish_time,
    eventTime: row.event_time,
    deliverAt: row.deliver_at,
    partitionKey: row.partition_key ?? undefined,
    orderingKey: row.ordering_key ?? undefined,
    properties: row.properties === null ? undefined : JSON.parse(row.properties),
    data: row.data,
  };
}

export function messageIdOf(topicId: number, entryId: number): BrokerMessageId {
  return new BrokerMessageId(BigInt(topicId), BigInt(entryId));
}

/** One delivery of a stored message; the redelivery count belongs to the delivery. */
export class EmbeddedMessage implements Message {
  private id: BrokerMessageId | undefined;
  constructor(
    readonly stored: StoredMessage,
    private readonly redeliveryCount: number,
  ) {}

  getTopicName(): string {
    return this.stored.topic;
  }
  getData(): Buffer {
    return this.stored.data;
  }
  getMessageId(): MessageId {
    this.id ??= messageIdOf(this.stored.topicId, this.stored.entryId);
    return this.id;
  }
  getProperties(): Record<string, string> {
    return { ...this.stored.properties };
  }
  getPartitionKey(): string | undefined {
    return this.stored.partitionKey;
  }
  getOrderingKey(): string | undefined {
    return this.stored.orderingKey;
  }
  getPublishTimestamp(): number {
    return this.stored.publishTime;
  }
  getEventTimestamp(): number {
    return this.stored.eventTime;
  }
  getRedeliveryCount(): number {
    return this.redeliveryCount;
  }
}
