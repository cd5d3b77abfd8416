/**
 * Hooks the publisher and the consumer runtime report through. The Prometheus implementation
 * lives with the service's other metrics (src/observability); tests and tools use `noopMetrics`.
 */

export type PublishOutcome = 'ok' | 'error' | 'rejected';
export type MessageOutcome = 'acked' | 'retried' | 'dead-lettered' | 'nacked' | 'skipped';

export interface MessagingMetrics {
  /** A publish finished (or was refused before reaching the broker). */
  publishDone(topic: string, service: string, outcome: PublishOutcome, seconds: number): void;
  /** Publishes waiting for a broker receipt, across topics. */
  publishInFlight(delta: number): void;
  /**
   * A handler is about to run. `latencySeconds` is publish time to now, for a message's first
   * delivery only: a retry's or a redelivery's wait was chosen (backoff, RetryLaterError, a
   * nack's delay), not lag, and is undefined.
   */
  consumed(topic: string, subscription: string, latencySeconds: number | undefined): void;
  /** A message left the handler chain with this outcome after `seconds`. */
  handled(subscription: string, outcome: MessageOutcome, seconds: number): void;
  /** Messages this subscription holds (received, not yet settled). */
  consumerInFlight(subscription: string, delta: number): void;
}

export const noopMetrics: MessagingMetrics = {
  publishDone() {},
  publishInFlight() {},
  consumed() {},
  handled() {},
  consumerInFlight() {},
};
