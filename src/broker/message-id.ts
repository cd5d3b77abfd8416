import type { MessageId } from './types.js';

/** The one MessageId implementation, used by every backend. */
export class BrokerMessageId implements MessageId {
  constructor(
    readonly ledgerId: bigint,
    readonly entryId: bigint,
    readonly partition = -1,
    readonly batchIndex = -1,
  ) {}

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

  toJSON(): string {
    return this.toString();
  }
}

/** Parses `ledgerId:entryId:partition[:batchIndex]`; throws TypeError on anything else. */
export function parseMessageId(text: string): BrokerMessageId {
  const m = /^(\d+):(\d+):(-1|\d+)(?::(-1|\d+))?$/.exec(text);
  if (!m) throw new TypeError(`invalid message id: ${JSON.stringify(text)}`);
  return new BrokerMessageId(
    BigInt(m[1]),
    BigInt(m[2]),
    Number(m[3]),
    m[4] === undefined ? -1 : Number(m[4]),
  );
}
