import type { EventEmitter } from 'node:events';
import type { Connection } from './connection.js';
import { Backoff, type BackoffOptions } from './reconnect-backoff.js';

/** A producer or consumer that can register itself again on a fresh connection. */
export interface Resumable extends EventEmitter {
  readonly isClosed: boolean;
  getTopic(): string;
  resume(connection: Connection): Promise<void>;
  /**
   * Told of a failed attempt. Returns true when `err` is a refusal no retry can cure (a
   * terminated or deleted topic); the target has then closed itself, failing what it held.
   */
  giveUp(err: unknown): boolean;
}

export interface ReconnectOptions extends BackoffOptions {
  /** Looks the topic up again and returns a connection to the broker that now owns it. */
  connect(topic: string): Promise<Connection>;
  /** Timers are injected for tests; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** Longest delay a Node timer takes (2^31-1 ms); the hold below never fires in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps `target` connected: when it reports 'disconnected' (connection lost, or the broker
 * closed it because the topic moved or the broker is stopping), waits with exponential
 * backoff and jitter, looks the topic up again and resumes on the new connection, until it
 * succeeds or the target is closed. Emits 'reconnectFailed' (error) on each failed attempt
 * and 'reconnected' once back. An attempt the broker refuses for good (the target's
 * giveUp() says so: a terminated topic for a producer, a deleted topic) ends the loop; the
 * target has closed itself with that error, as the Java client's producer and consumer do.
 *
 * While it is reconnecting the loop holds the process open (a ref'd timer), as the Java
 * client's threads hold the JVM: between attempts no socket exists, and a process whose only
 * work is this producer or consumer (a worker with a listener, a script awaiting receive())
 * would otherwise end silently while the broker restarts. The hold goes as soon as the
 * target is back or closed ('closed' also cuts the current backoff wait short), so a closed
 * client never keeps the process.
 */
export function keepConnected(target: Resumable, options: ReconnectOptions): void {
  let running = false;
  target.on('disconnected', () => {
    if (running) return;
    running = true;
    void loop().finally(() => {
      running = false;
    });
  });

  async function loop(): Promise<void> {
    const hold = setInterval(() => undefined, MAX_TIMER_MS);
    let wake: (() => void) | undefined;
    const onClosed = () => wake?.();
    target.once('closed', onClosed);
    try {
      const backoff = new Backoff(options);
      while (!target.isClosed) {
        await wait(backoff.next(), (w) => (wake = w));
        wake = undefined;
        if (target.isClosed) return;
        try {
          const connection = await options.connect(target.getTopic());
          await target.resume(connection);
          return;
        } catch (err) {
          target.emit('reconnectFailed', err);
          if (target.giveUp(err)) return;
        }
      }
    } finally {
      clearInterval(hold);
      target.off('closed', onClosed);
    }
  }

  /** Sleeps `ms`, or less when the target closes meanwhile. */
  function wait(ms: number, setWake: (wake: () => void) => void): Promise<void> {
    if (options.sleep) return options.sleep(ms);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref(); // the hold keeps the process; this timer must not outlive a close
      setWake(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
