import type {
  Producer as PulsarProducer,
  ProducerMessage as PulsarProducerMessage,
} from '../../pulsar/index.js';
import type { BatchingType } from '../../pulsar/options.js';
import type { PartitionedProducer } from '../../pulsar/partitioned-producer.js';
import { BrokerError } from '../errors.js';
import { nonStringProperty } from '../properties.js';
import type { MessageId, Producer, ProducerMessage } from '../types.js';
import { mapped, toBrokerError } from './errors.js';
import { toBrokerId } from './message.js';

/**
 * How the adapter's producers batch: by key. The service's consumers are Key_Shared, and a
 * Key_Shared subscription dispatches a whole batch entry by the entry's key; a batch mixing
 * keys (the default batcher's) would hand every key in it to the consumer of one, so keys
 * would move between consumers and lose their order. Key batches keep each key on its
 * consumer and in order, the Broker contract's promise (as Pulsar recommends for Key_Shared);
 * order across keys within one batching window is not kept, which no subscription of the
 * service relies on. Sends without a key (and Exclusive readers of them) keep send order.
 */
export const ADAPTER_BATCHING_TYPE: BatchingType = 'KeyBasedBatching';

/**
 * The Broker contract's Producer over a Pulsar producer (plain or partitioned).
 *
 * When the broker refuses the Pulsar producer for good (its topic was deleted with
 * auto-creation off, or terminated: the client stops reconnecting and closes it), this
 * producer is closed too: `onClose` takes it out of the broker's open producers, so it no
 * longer holds the broker's readiness down, isClosed() is true so its owner makes a new one,
 * and sends reject at once with that reason (TopicNotFound, or Internal for a terminated
 * topic).
 */
export class PulsarBrokerProducer implements Producer {
  private closed = false;
  /** Why the broker closed the Pulsar producer for good. */
  private failure: BrokerError | undefined;

  constructor(
    private readonly inner: PulsarProducer | PartitionedProducer,
    private readonly onClose: () => void,
  ) {
    inner.on('closed', (err?: unknown) => {
      if (err !== undefined) this.refused(err);
    });
    if (inner.failure) this.refused(inner.failure);
  }

  private refused(err: unknown): void {
    if (this.closed) return;
    this.failure = toBrokerError(err);
    this.closed = true;
    this.onClose();
  }

  async send(message: ProducerMessage): Promise<MessageId> {
    if (this.closed) throw this.failure ?? new BrokerError('AlreadyClosed', 'producer is closed');
    if (!Buffer.isBuffer(message?.data)) {
      throw new BrokerError('InvalidArgument', 'message data must be a Buffer');
    }
    if (message.moveFrom !== undefined) {
      throw new BrokerError('NotAllowed', 'the Pulsar broker cannot move a message');
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

  isClosed(): boolean {
    return this.closed;
  }
}
