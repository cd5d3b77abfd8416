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
  /**
   * The message's publish time (ms): with the id it names the message, so a broker whose ids
   * start over (a new Pulsar cluster) does not make a new message look like an old one.
   */
  publishTime: number;
}

/** Earlier runs of one delivery that started and never ended. */
export interface RunHistory {
  /** All of them: the process stopped while they ran, with other handlers beside them. */
  unfinished: number;
  /** Those that ran alone in the process: the process stopped while only they ran. */
  unfinishedAlone: number;
}

export interface DeliveryJournal {
  /** Notes that a run starts, durably (a crash right after must find it). */
  begin(ref: DeliveryRef): Promise<RunHistory>;
  /** Notes that the run begun last goes on alone in the process, durably. */
  beginAlone(ref: DeliveryRef): Promise<void>;
  /** The run ended, whatever its outcome. Need not be awaited. */
  end(ref: DeliveryRef): void;
}
