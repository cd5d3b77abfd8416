/** The `activity` consumer: records every user event once, per user. */
import type { Database } from 'better-sqlite3';
import {
  decodeEvent,
  type ConsumerDefinitionInput,
  type DomainEvent,
} from '../../messaging/index.js';
import { USER_EVENTS_TOPIC } from '../events/event-publisher.js';
import { GroupWriter } from '../db/group-writer.js';
import { ActivityStore } from './activity-store.js';

export function activityConsumer(
  db: Database,
  overrides: Partial<ConsumerDefinitionInput> = {},
  decode: (data: Buffer) => DomainEvent = decodeEvent,
): ConsumerDefinitionInput {
  const store = new ActivityStore(db);
  // Handlers running at once share one commit per event-loop turn.
  const writer = new GroupWriter(db, (event: DomainEvent) => store.record(event));
  return {
    topic: USER_EVENTS_TOPIC,
    subscription: 'activity',
    type: 'KeyShared',
    concurrency: 32,
    retry: { maxAttempts: 5, backoff: { initialMs: 1000, multiplier: 2, maxMs: 60_000 } },
    // The store's unique event id is the durable record of what was handled: recording an
    // event it already holds changes nothing, and the message is settled as a duplicate.
    // (A lookup before each insert would cost a statement per message to find the rare one.)
    dedupe: false,
    handler: async (message, ctx) => {
      if (!(await writer.write(decode(message.getData())))) await ctx.skip();
    },
    ...overrides,
  };
}
