import type {
  Producer as PulsarProducer,
  ProducerMessage as PulsarProducerMessage,
} from '../../pulsar/index.js';
import type { PartitionedProducer } from '../../pulsar/partitioned-producer.js';
import { BrokerError } from '../errors.js';
import { nonStringProperty } from '../properties.js';
import type { MessageId, Producer, ProducerMessage } from '../types.js';
import { mapped } from './errors.js';
import { toBrokerId } from './message.js';

/** The Broker contract's Producer over a Pulsar producer (plain or partitioned). */
export class PulsarBrokerProducer implements Producer {
  private closed = false;

  constructor(
    private readonly inner: PulsarProducer | PartitionedProducer,
    private readonly onClose: () => void,
  ) {}

  async send(message: ProducerMessage): Promise<MessageId> {
    if (this.closed) throw new BrokerError('AlreadyClosed', 'producer is closed');
    if (!Buffer.isBuffer(message?.data)) {
      throw new BrokerError('InvalidArgument', 'message data must be a Buffer');
    }
    const bad = nonStringProperty(message.properties);
    if (bad !== undefined) {
      throw new BrokerError('InvalidArgument', `property ${bad} must be a string`);
    }
    const m: PulsarProducerMessage = {
      data: message.data,
      properties: message.properties,
      partitionKey: message.partitionKey,
      orderingKey: message.orderingKey,
      eventTimestamp: message.eventTimestamp,
      deliverAt: message.deliverAt,
      deliverAfter: message.deliverAfter,
      sequenceId: message.sequenceId,
    };
    return mapped(async () => toBrokerId(await this.inner.send(m)));
  }

  flush(): Promise<void> {
    return mapped(() => this.inner.flush());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    await mapped(() => this.inner.close());
  }

  getProducerName(): string {
    return this.inner.getProducerName();
  }

  getTopic(): string {
    return this.inner.getTopic();
  }

  isConnected(): boolean {
    return !this.closed && this.inner.isConnected();
  }
}
