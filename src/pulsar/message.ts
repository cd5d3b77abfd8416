import type { MessageId } from './message-id.js';

export interface MessageFields {
  topic: string;
  data: Buffer;
  id: MessageId;
  properties: Record<string, string>;
  partitionKey?: string;
  orderingKey?: string;
  publishTimestamp: number;
  eventTimestamp: number;
  redeliveryCount: number;
  producerName: string;
  sequenceId: bigint;
}

/** A received message. Getter names follow the official Pulsar Node client. */
export class Message {
  constructor(private readonly f: MessageFields) {}

  getTopicName(): string {
    return this.f.topic;
  }
  getData(): Buffer {
    return this.f.data;
  }
  getMessageId(): MessageId {
    return this.f.id;
  }
  getProperties(): Record<string, string> {
    return this.f.properties;
  }
  getPartitionKey(): string | undefined {
    return this.f.partitionKey;
  }
  getOrderingKey(): string | undefined {
    return this.f.orderingKey;
  }
  /** Epoch ms set by the producer at publish. */
  getPublishTimestamp(): number {
    return this.f.publishTimestamp;
  }
  /** Epoch ms set by the application, 0 if unset. */
  getEventTimestamp(): number {
    return this.f.eventTimestamp;
  }
  /** Deliveries of this message to the subscription before this one. */
  getRedeliveryCount(): number {
    return this.f.redeliveryCount;
  }
  getProducerName(): string {
    return this.f.producerName;
  }
  getSequenceId(): bigint {
    return this.f.sequenceId;
  }
}
