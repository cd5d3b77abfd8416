import { BrokerError } from './errors.js';
import type { ReadOptions } from './types.js';

/** Messages `BrokerAdmin.readMessages` returns when no limit is given. */
export const DEFAULT_READ_LIMIT = 100;

/**
 * The checked `limit` of a read: both brokers refuse one that is not a non-negative integer,
 * where SQLite would read a negative LIMIT as "no limit" and an array slice as "all but".
 */
export function readLimit(options: ReadOptions | undefined): number {
  const limit = options?.limit ?? DEFAULT_READ_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new BrokerError(
      'InvalidArgument',
      `read limit must be a non-negative integer (got ${String(limit)})`,
    );
  return limit;
}
