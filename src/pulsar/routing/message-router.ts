import { hashKey, type HashingScheme } from './hash.js';

/**
 * Chooses a partition for each message, as the Java client's routers do:
 * - a keyed message goes to `signSafeMod(hash(key), partitions)`, whatever the mode;
 * - `RoundRobinPartition` (default) spreads unkeyed messages: with batching on, it moves to
 *   the next partition every `partitionSwitchMs` (so batches fill up), otherwise one
 *   partition per message;
 * - `SinglePartition` sends every unkeyed message to one partition chosen at random.
 */
export type MessageRoutingMode = 'RoundRobinPartition' | 'SinglePartition';

export interface MessageRouterOptions {
  /** Default 'RoundRobinPartition'. */
  routingMode?: MessageRoutingMode;
  /** Default 'JavaStringHash', the Java client's default. */
  hashingScheme?: HashingScheme;
  /** Default true. */
  batchingEnabled?: boolean;
  /** The producer's batchingMaxPublishDelayMs; default 10 (as the Node client). */
  batchingMaxPublishDelayMs?: number;
  /** Injected for tests; default Date.now. */
  now?: () => number;
  /** Injected for tests; a value in [0, 1); default Math.random. */
  random?: () => number;
}

export interface MessageRouter {
  choosePartition(key: string | undefined, numPartitions: number): number;
}

/** Java's `MathUtils.signSafeMod`: a non-negative remainder. */
export function signSafeMod(dividend: number, divisor: number): number {
  const mod = dividend % divisor;
  if (mod < 0) return mod + divisor;
  return mod === 0 ? 0 : mod; // JS yields -0 for a negative multiple
}

export function createMessageRouter(options: MessageRouterOptions = {}): MessageRouter {
  const scheme = options.hashingScheme ?? 'JavaStringHash';
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const batching = options.batchingEnabled ?? true;
  const switchMs = Math.max(1, Math.floor(options.batchingMaxPublishDelayMs ?? 10));
  // The Java client starts each producer at a random partition so producers do not all
  // hit partition 0 at once.
  const start = Math.floor(random() * 0x7fffffff);
  let counter = start;

  return {
    choosePartition(key, numPartitions) {
      if (numPartitions <= 1) return 0;
      if (key !== undefined) {
        return signSafeMod(hashKey(scheme, key), numPartitions);
      }
      if (options.routingMode === 'SinglePartition') return signSafeMod(start, numPartitions);
      if (batching) return signSafeMod(Math.floor(now() / switchMs) + start, numPartitions);
      return signSafeMod(counter++, numPartitions);
    },
  };
}
