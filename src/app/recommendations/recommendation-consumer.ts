/** The `recommendations` consumer: counts item views once per event for co-view ranking. */
import type { Database } from 'better-sqlite3';
import {
  decodeEvent,
  type ConsumerDefinitionInput,
  type DomainEvent,
} from '../../messaging/index.js';
import { USER_EVENTS_TOPIC } from '../events/event-publisher.js';
import { GroupWriter } from '../db/group-writer.js';
import { RecommendationStore } from './recommendation-store.js';

export function recommendationConsumer(
  db: Database,
  overrides: Partial<ConsumerDefinitionInput> = {},
  decode: (data: Buffer) => DomainEvent = decodeEvent,
): ConsumerDefinitionInput {
  const store = new RecommendationStore(db);
  const writer = new GroupWriter(db, (event: DomainEvent) => store.record(event));
  return {
    topic: USER_EVENTS_TOPIC,
    subscription: 'recommendations',
    type: 'KeyShared',
    concurrency: 32,
    retry: { maxAttempts: 5, backoff: { initialMs: 1000, multiplier: 2, maxMs: 60_000 } },
    // record() ignores an event id it has seen, inside the same transaction as the counts; the
    // message is then settled as a duplicate.
    dedupe: false,
    handler: async (message, ctx) => {
      if (!(await writer.write(decode(message.getData())))) await ctx.skip();
    },
    ...overrides,
  };
}
