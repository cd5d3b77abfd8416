/** Options of `createEmbeddedBroker`, with their defaults. */
export interface EmbeddedBrokerOptions {
  /** Directory holding `broker.sqlite` (created if missing). */
  dataDir: string;
  /**
   * SQLite `synchronous` in WAL mode. 'FULL' (default) fsyncs the WAL on every group commit, so
   * a resolved publish survives power loss; 'NORMAL' survives a process crash (kill -9) but may
   * lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Largest payload accepted by `send`, bytes. Default 5 MiB (Pulsar's maxMessageSize). */
  maxMessageSize?: number;
  /** Keep messages acked by every subscription this long before deleting them. Default 0. */
  retentionMs?: number;
  /** How often acked messages are deleted. Default 1000 ms. */
  retentionIntervalMs?: number;
  /**
   * How often the broker looks for rows written by another process when nothing woke it
   * earlier. A watch on the WAL file (wal-watcher.ts) notices them within milliseconds; this
   * poll covers platforms or moments where the watch is unavailable. Default 250 ms.
   */
  externalPollIntervalMs?: number;
  /** Most operations in one group-commit transaction. Default 10000. */
  maxBatch?: number;
  /**
   * Memory for the newest messages of all topics, so consumers that keep up read them without
   * SQLite. Default 128 MiB.
   */
  cacheBytes?: number;
  /** Unacked messages a Shared or KeyShared consumer may hold before dispatch to it pauses. Default 50000. */
  maxUnackedMessagesPerConsumer?: number;
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number;
}

export interface ResolvedOptions {
  dataDir: string;
  synchronous: 'FULL' | 'NORMAL';
  maxMessageSize: number;
  retentionMs: number;
  retentionIntervalMs: number;
  externalPollIntervalMs: number;
  maxBatch: number;
  cacheBytes: number;
  maxUnackedMessagesPerConsumer: number;
  now: () => number;
}

export function resolveOptions(o: EmbeddedBrokerOptions): ResolvedOptions {
  return {
    dataDir: o.dataDir,
    synchronous: o.synchronous ?? 'FULL',
    maxMessageSize: o.maxMessageSize ?? 5 * 1024 * 1024,
    retentionMs: o.retentionMs ?? 0,
    retentionIntervalMs: o.retentionIntervalMs ?? 1000,
    externalPollIntervalMs: o.externalPollIntervalMs ?? 250,
    maxBatch: o.maxBatch ?? 10000,
    cacheBytes: o.cacheBytes ?? 128 * 1024 * 1024,
    maxUnackedMessagesPerConsumer: o.maxUnackedMessagesPerConsumer ?? 50_000,
    now: o.now ?? Date.now,
  };
}
