import type { StoredMessage } from './stored-message.js';

export const enum DeliveryState {
  /** Read, waiting for a consumer with a permit (new or to be redelivered). */
  Waiting,
  /** In a consumer's receiver queue or handed to the application, not yet acked. */
  Delivered,
  /** Held until its deliverAt time. */
  Delayed,
  /** Being moved to the dead-letter topic; acked once that publish commits. */
  Leaving,
  Acked,
}

/** One unacked message of one subscription, from first read until ack. */
export interface Delivery {
  rec: StoredMessage;
  state: DeliveryState;
  redeliveryCount: number;
  /** The consumer holding it while Delivered. */
  consumer: unknown;
  /** Bumped on every hand-out, so stale timer entries can tell they are stale. */
  epoch: number;
}
