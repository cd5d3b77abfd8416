/**
 * Strict parsers for command-line option values. Each runs while commander parses, so a bad
 * value stops the command before it opens the broker, with a one-line message naming the
 * option (exit status 64 in main.ts).
 */
import type { SubscriptionType } from '../../broker/index.js';
import { parseMessageId, parseTopicName } from '../../broker/index.js';

export class CliArgumentError extends Error {
  readonly code = 'CLI_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'CliArgumentError';
  }
}

/** An integer from `min` to `max`, written in plain decimal digits ("1e3", "0x10", "5.0" are not). */
export function integerOption(option: string, min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) {
      throw new CliArgumentError(
        `${option} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
      );
    }
    return n;
  };
}

/** A topic name the broker accepts: `name`, `tenant/namespace/name` or a full `persistent://` name. */
export function topicOption(option = '--topic') {
  return (value: string): string => {
    try {
      parseTopicName(value);
    } catch {
      throw new CliArgumentError(
        `${option} must be a topic name: name, tenant/namespace/name or persistent://tenant/namespace/name (got ${JSON.stringify(value)})`,
      );
    }
    return value;
  };
}

/**
 * A subscription whose dead letters can exist: its name becomes part of the dead-letter topic
 * name (`<topic>-<subscription>-DLQ`), so it cannot hold a `/`.
 */
export function deadLetterSubscriptionOption(value: string): string {
  if (value === '' || value.includes('/')) {
    throw new CliArgumentError(
      `--subscription must be a non-empty subscription name without "/" (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'Exclusive',
  'Shared',
  'Failover',
  'KeyShared',
];

export function subscriptionTypeOption(value: string): SubscriptionType {
  if (!(SUBSCRIPTION_TYPES as readonly string[]).includes(value)) {
    throw new CliArgumentError(
      `--type must be one of ${SUBSCRIPTION_TYPES.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return value as SubscriptionType;
}

/** As many ids as the HTTP API takes in one request. */
const MAX_IDS = 1000;

/**
 * Comma-separated message ids (`ledger:entry:partition[:batch]`). An empty list is refused:
 * without `--ids` replay and purge act on every matching dead letter, which an empty shell
 * variable must not turn into.
 */
export function messageIdsOption(value: string): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new CliArgumentError('--ids needs at least one message id');
  if (ids.length > MAX_IDS)
    throw new CliArgumentError(`--ids takes at most ${MAX_IDS} ids (got ${ids.length})`);
  for (const id of ids) {
    try {
      parseMessageId(id);
    } catch {
      throw new CliArgumentError(
        `--ids: ${JSON.stringify(id)} is not a message id (ledger:entry:partition[:batch], e.g. 12:3:-1)`,
      );
    }
  }
  return ids;
}
