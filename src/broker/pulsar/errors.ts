import { PulsarClientError, type PulsarResult } from '../../pulsar/index.js';
import { PulsarAdminError } from '../../pulsar/admin/index.js';
import { BrokerError, type BrokerErrorCode } from '../errors.js';

const CODES: Partial<Record<PulsarResult, BrokerErrorCode>> = {
  Timeout: 'Timeout',
  AlreadyClosed: 'AlreadyClosed',
  ConsumerBusy: 'ConsumerBusy',
  ProducerBusy: 'ConsumerBusy',
  ProducerQueueIsFull: 'ProducerQueueIsFull',
  MessageTooBig: 'MessageTooBig',
  NotConnected: 'NotConnected',
  ConnectError: 'NotConnected',
  ConnectionClosed: 'NotConnected',
  BrokerClosed: 'NotConnected',
  ServiceNotReady: 'NotConnected',
  LookupError: 'NotConnected',
  InvalidConfiguration: 'InvalidArgument',
  InvalidTopicName: 'InvalidArgument',
  // The topic's namespace does not exist, or the cluster does not create topics on use.
  TopicNotFound: 'TopicNotFound',
  InvalidMessage: 'InvalidArgument',
  AuthenticationError: 'NotAllowed',
  AuthorizationError: 'NotAllowed',
  NotAllowedError: 'NotAllowed',
};

/** The Broker contract's error for anything the Pulsar client or admin API threw. */
export function toBrokerError(err: unknown): BrokerError {
  if (err instanceof BrokerError) return err;
  if (err instanceof PulsarClientError) {
    return new BrokerError(CODES[err.result] ?? 'Internal', err.message, { cause: err });
  }
  if (err instanceof PulsarAdminError) {
    const code: BrokerErrorCode =
      err.code === 'ConnectError'
        ? 'NotConnected'
        : err.code === 'Timeout'
          ? 'Timeout'
          : 'Internal';
    return new BrokerError(code, err.message, { cause: err });
  }
  if (err instanceof TypeError)
    return new BrokerError('InvalidArgument', err.message, { cause: err });
  return new BrokerError('Internal', String(err), { cause: err });
}

/** Runs `fn`, rethrowing whatever it throws as a BrokerError. */
export async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toBrokerError(err);
  }
}
