/**
 * A durable record of handler runs that have started and not finished. A message whose
 * handler kills the process (a native crash, running out of memory, `process.exit`) never
 * reaches the retry and dead-letter middleware: it is redelivered after every restart, and
 * the broker does not count that as a redelivery (Pulsar counts nacks and ack timeouts, not
 * a consumer that vanished). The crash-guard middleware notes each run here before it starts
 * and removes the note when it ends, so runs that never ended can be counted across restarts.
 */

/** One delivery of one message to one subscription. */
export interface DeliveryRef {
  subscription: string;
  /** The topic the message came from (a retry topic or a partition, as delivered). */
  topic: string;
  messageId: string;
}

export interface DeliveryJournal {
  /**
   * Notes that a handler run starts, durably (a crash right after must find it). Resolves
   * with how many earlier runs of this delivery started and never ended.
   */
  begin(ref: DeliveryRef): Promise<number>;
  /** The run ended, whatever its outcome. Need not be awaited. */
  end(ref: DeliveryRef): void;
}
