/**
 * Event ids for requests sent with an `Idempotency-Key`. A refusal (503) is not remembered, so
 * a client retries it with the same key; if the refused request had stored some of its events
 * (a receipt lost after the write, a batch refused half-way), the retry publishes them again.
 * Deriving each id from the caller, route, key, attempt seed (the body's hash and the time of
 * its first attempt, see IdempotencyStore) and position gives the copies the ids of the first
 * attempt, and the consumers' dedupe by `eventId` drops them. Another body under the same key,
 * or the same key reused after the 24-hour window, gets other ids, so it is never mistaken for
 * a copy.
 */
import { v5 as uuidv5 } from 'uuid';

/** The name space of Magnetar's name-based (version 5) event ids. */
const EVENT_ID_NAMESPACE = 'a3e32901-7770-4311-90de-89e9fb6b8286';

/** The id of the event at `index` of a keyed request; `scope` is the caller and route. */
export function keyedEventIds(
  scope: string,
  key: string,
  attemptSeed: string,
): (index: number) => string {
  const prefix = `${scope}\u0000${key}\u0000${attemptSeed}\u0000`;
  return (index) => uuidv5(prefix + index, EVENT_ID_NAMESPACE);
}
