/**
 * Callers of receive() waiting for a message, oldest first; shared by the plain and the
 * partitioned consumer. A waiter with a timeout leaves the queue and rejects with Timeout.
 */
import { PulsarClientError } from './errors.js';
import type { Message } from './message.js';

export interface Waiter {
  resolve(m: Message): void;
  reject(e: PulsarClientError): void;
  timer?: NodeJS.Timeout;
}

/** Queues a receive() that found no message; `timeoutMs` 0 or undefined waits without limit. */
export function waitForMessage(waiters: Waiter[], timeoutMs: number | undefined): Promise<Message> {
  return new Promise((resolve, reject) => {
    const waiter: Waiter = { resolve, reject };
    if (timeoutMs !== undefined && timeoutMs > 0) {
      waiter.timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(new PulsarClientError('Timeout', `no message within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    waiters.push(waiter);
  });
}
