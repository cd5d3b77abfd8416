import type { Message as PulsarMessage, MessageId as PulsarMessageId } from '../../pulsar/index.js';
import { BrokerMessageId } from '../message-id.js';
import type { Message, MessageId } from '../types.js';

export function toBrokerId(id: PulsarMessageId): BrokerMessageId {
  return new BrokerMessageId(id.ledgerId, id.entryId, id.partition, id.batchIndex);
}

/** A received Pulsar message seen through the Broker contract. */
export class PulsarBrokerMessage implements Message {
  private readonly id: BrokerMessageId;

  constructor(readonly inner: PulsarMessage) {
    this.id = toBrokerId(inner.getMessageId());
  }

  getTopicName(): string {
    return this.inner.getTopicName();
  }
  getData(): Buffer {
    return this.inner.getData();
  }
  getMessageId(): MessageId {
    return this.id;
  }
  getProperties(): Record<string, string> {
    return this.inner.getProperties();
  }
  getPartitionKey(): string | undefined {
    return this.inner.getPartitionKey();
  }
  getOrderingKey(): string | undefined {
    return this.inner.getOrderingKey();
  }
  getPublishTimestamp(): number {
    return this.inner.getPublishTimestamp();
  }
  getEventTimestamp(): number {
    return this.inner.getEventTimestamp();
  }
  getRedeliveryCount(): number {
    return this.inner.getRedeliveryCount();
  }
}
