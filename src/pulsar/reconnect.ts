import type { EventEmitter } from 'node:events';
import type { Connection } from './connection.js';
import { Backoff, type BackoffOptions } from './reconnect-backoff.js';

/** A producer or consumer that can register itself again on a fresh connection. */
export interface Resumable extends EventEmitter {
  readonly isClosed: boolean;
  getTopic(): string;
  resume(connection: Connection): Promise<void>;
}

export interface ReconnectOptions extends BackoffOptions {
  /** Looks the topic up again and returns a connection to the broker that now owns it. */
  connect(topic: string): Promise<Connection>;
  /** Timers are injected for tests; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Keeps `target` connected: when it reports 'disconnected' (connection lost, or the broker
 * closed it because the topic moved or the broker is stopping), waits with exponential
 * backoff and jitter, looks the topic up again and resumes on the new connection, until it
 * succeeds or the target is closed. Emits 'reconnectFailed' (error) on each failed attempt
 * and 'reconnected' once back.
 */
export function keepConnected(target: Resumable, options: ReconnectOptions): void {
  const sleep = options.sleep ?? defaultSleep;
  let running = false;
  target.on('disconnected', () => {
    if (running) return;
    running = true;
    void loop().finally(() => {
      running = false;
    });
  });

  async function loop(): Promise<void> {
    const backoff = new Backoff(options);
    while (!target.isClosed) {
      await sleep(backoff.next());
      if (target.isClosed) return;
      try {
        const connection = await options.connect(target.getTopic());
        await target.resume(connection);
        return;
      } catch (err) {
        target.emit('reconnectFailed', err);
      }
    }
  }
}
