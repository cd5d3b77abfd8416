/** The parts of the broker's topic stats JSON this client reads. */

export type AdminSubscriptionType = 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';

export interface AdminSubscriptionStats {
  name: string;
  type: AdminSubscriptionType;
  msgBacklog: number;
  unackedMessages: number;
  consumers: number;
}

export interface AdminTopicStats {
  msgInCounter: number;
  storageSize: number;
  publishers: number;
  subscriptions: AdminSubscriptionStats[];
}

interface RawSubscriptionStats {
  type?: AdminSubscriptionType;
  msgBacklog?: number;
  unackedMessages?: number;
  consumers?: unknown[];
}

export interface RawTopicStats {
  msgInCounter?: number;
  storageSize?: number;
  publishers?: unknown[];
  subscriptions?: Record<string, RawSubscriptionStats>;
}

export function parseTopicStats(raw: RawTopicStats): AdminTopicStats {
  return {
    msgInCounter: raw.msgInCounter ?? 0,
    storageSize: raw.storageSize ?? 0,
    publishers: raw.publishers?.length ?? 0,
    subscriptions: Object.entries(raw.subscriptions ?? {}).map(([name, s]) => ({
      name,
      type: s.type ?? 'Exclusive',
      msgBacklog: s.msgBacklog ?? 0,
      unackedMessages: s.unackedMessages ?? 0,
      consumers: s.consumers?.length ?? 0,
    })),
  };
}

/** The parts of `internalStats` (the managed ledger's view) this client reads. */
export interface AdminInternalStats {
  /** Entries (not messages: a batch is one entry) currently stored. */
  numberOfEntries: number;
  entriesAddedCounter: number;
  /** `ledgerId:entryId` of the last entry written. */
  lastConfirmedEntry: string;
  cursors: Record<string, { markDeletePosition: string; readPosition: string }>;
}
