/**
 * Position of a message: Pulsar's (ledgerId, entryId, partition, batchIndex), ids signed as
 * in the Java client (-1 where the wire's uint64 is all ones). The shape
 * matches Magnetar's Broker contract, but this file stands alone so the client does too.
 */
export class MessageId {
  constructor(
    readonly ledgerId: bigint,
    readonly entryId: bigint,
    /** Partition index, -1 for a non-partitioned topic. */
    readonly partition = -1,
    /** Index inside a batch, -1 when the entry is not a batch. */
    readonly batchIndex = -1,
    /** Messages in the batch this one came in, 0 when not batched. */
    readonly batchSize = 0,
  ) {}

  /** `ledgerId:entryId:partition[:batchIndex]`. */
  toString(): string {
    const base = `${this.ledgerId}:${this.entryId}:${this.partition}`;
    return this.batchIndex >= 0 ? `${base}:${this.batchIndex}` : base;
  }

  equals(other: MessageId): boolean {
    return this.compare(other) === 0;
  }

  compare(other: MessageId): number {
    if (this.partition !== other.partition) return this.partition - other.partition;
    if (this.ledgerId !== other.ledgerId) return this.ledgerId < other.ledgerId ? -1 : 1;
    if (this.entryId !== other.entryId) return this.entryId < other.entryId ? -1 : 1;
    return this.batchIndex - other.batchIndex;
  }

  /** The id of the whole entry (batch index dropped): what the broker acks and redelivers. */
  entry(): MessageId {
    return this.batchIndex < 0 ? this : new MessageId(this.ledgerId, this.entryId, this.partition);
  }

  /** Key of the entry, for maps. */
  entryKey(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** Position before every message (subscribe/seek). */
  static readonly earliest = new MessageId(-1n, -1n);
  /** Position after every message. */
  static readonly latest = new MessageId(0x7fffffffffffffffn, 0x7fffffffffffffffn);
}
