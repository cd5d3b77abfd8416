/** Result codes of broker operations, shared by every Broker implementation. */
export type BrokerErrorCode =
  | 'AlreadyClosed'
  | 'ConsumerBusy'
  | 'InvalidArgument'
  | 'MessageTooBig'
  | 'NotConnected'
  | 'ProducerQueueIsFull'
  | 'Timeout'
  | 'UnknownMessageId'
  | 'NotAllowed'
  /** The broker has no such topic and will not create it (e.g. its namespace does not exist). */
  | 'TopicNotFound'
  | 'Internal';

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
    this.code = code;
  }
}

export function isBrokerError(err: unknown, code?: BrokerErrorCode): err is BrokerError {
  return err instanceof BrokerError && (code === undefined || err.code === code);
}
