import { ServerError } from './proto/generated/PulsarApi_pb.js';

/** Result codes the broker reports (names of Pulsar's `ServerError`). */
export type ServerResult = keyof typeof ServerError;

/** Result codes raised by the client itself. */
export type ClientResult =
  | 'Timeout'
  | 'AlreadyClosed'
  | 'ChecksumMismatch'
  | 'ConnectError'
  | 'ConnectionClosed'
  | 'NotConnected'
  | 'ProducerQueueIsFull'
  | 'MessageTooBig'
  | 'FrameTooLarge'
  | 'ProtocolError'
  | 'LookupError'
  | 'TooManyLookupRedirects'
  | 'InvalidConfiguration'
  | 'InvalidMessage'
  | 'DecompressionError'
  | 'BrokerClosed';

export type PulsarResult = ServerResult | ClientResult;

/**
 * The one error type of the Pulsar client. `result` is a stable code: a broker `ServerError`
 * name, or one of the client's own (Timeout, AlreadyClosed, ...). The underlying error, if
 * any, is in `cause`.
 */
export class PulsarClientError extends Error {
  override readonly name = 'PulsarClientError';

  constructor(
    readonly result: PulsarResult,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${result}: ${message}`, options);
  }

  /** True for failures a fresh lookup and retry may cure (broker moved, restarted, busy). */
  get retriable(): boolean {
    return RETRIABLE.has(this.result);
  }
}

const RETRIABLE = new Set<PulsarResult>([
  'ServiceNotReady',
  'TooManyRequests',
  'MetadataError',
  'PersistenceError',
  'ConnectError',
  'ConnectionClosed',
  'NotConnected',
  'BrokerClosed',
  'Timeout',
  'LookupError',
]);

/**
 * True for a broker refusal that a producer or consumer already created cannot recover from
 * by reconnecting: a topic deleted while auto-creation is off (TopicNotFound), and for a
 * producer a terminated topic or a fenced producer. The Java client stops reconnecting on
 * these (ProducerImpl: Terminated/ProducerFenced; ConsumerImpl: TopicDoesNotExist); any
 * other failure (a busy name still held by the old connection, a broker restarting) is
 * retried.
 */
export function isPermanentRefusal(err: unknown, role: 'producer' | 'consumer'): boolean {
  if (!(err instanceof PulsarClientError)) return false;
  if (err.result === 'TopicNotFound') return true;
  return (
    role === 'producer' &&
    (err.result === 'TopicTerminatedError' || err.result === 'ProducerFenced')
  );
}

/** Maps a broker `ServerError` (with the broker's message) to the client's error. */
export function serverError(code: ServerError | undefined, message?: string): PulsarClientError {
  const name = (code !== undefined ? ServerError[code] : undefined) as ServerResult | undefined;
  return new PulsarClientError(name ?? 'UnknownError', message || 'broker reported an error');
}

/**
 * Throws the retriable ConnectionClosed when `connection` closed while a request on it was
 * answered: what was set up on the broker went with the connection.
 */
export function assertStillOpen(connection: { readonly isClosed: boolean }, topic: string): void {
  if (connection.isClosed) {
    throw new PulsarClientError(
      'ConnectionClosed',
      `connection closed while registering on ${topic}; retrying`,
    );
  }
}

/** True for the client's own Timeout: the broker may still act on the request. */
export function isTimeout(err: unknown): boolean {
  return err instanceof PulsarClientError && err.result === 'Timeout';
}
