/**
 * Fixed-window request counting per client key, the way @fastify/rate-limit's local store
 * counts (which the service used before): a client's window opens with its first request and
 * lasts `windowMs`; a request after it opens a new one. At most `maxClients` clients are
 * remembered; the least recently seen is forgotten first (and starts afresh if it returns).
 * Synchronous on purpose: the plugin spends several promises per request on a Map lookup.
 */

export interface FixedWindowOptions {
  /** Requests allowed per client per window. */
  max: number;
  windowMs: number;
  /** Clients remembered at once. Default 5000, as @fastify/rate-limit's local store. */
  maxClients?: number;
  /** Milliseconds since the epoch; injected by tests. Default `Date.now`. */
  now?: () => number;
}

export interface WindowCount {
  /** Requests of this client in its current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

interface Window {
  count: number;
  startMs: number;
}

export const DEFAULT_MAX_CLIENTS = 5000;

export class FixedWindowLimiter {
  readonly max: number;
  readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  // Insertion order is recency order: a client seen again is moved to the end.
  private readonly windows = new Map<string, Window>();
  private newest: string | undefined;

  constructor(opts: FixedWindowOptions) {
    this.max = opts.max;
    this.windowMs = opts.windowMs;
    this.maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.now = opts.now ?? Date.now;
  }

  /** Counts one request of `key`. */
  hit(key: string): WindowCount {
    const now = this.now();
    let w = this.windows.get(key);
    if (w === undefined) {
      if (this.windows.size >= this.maxClients) {
        this.windows.delete(this.windows.keys().next().value as string);
      }
      w = { count: 0, startMs: now };
      this.windows.set(key, w);
    } else if (key !== this.newest) {
      this.windows.delete(key);
      this.windows.set(key, w);
    }
    this.newest = key;
    if (w.startMs + this.windowMs <= now) {
      w.count = 0;
      w.startMs = now;
    }
    w.count++;
    return { count: w.count, resetMs: this.windowMs - (now - w.startMs) };
  }

  /** Clients remembered now. */
  get size(): number {
    return this.windows.size;
  }
}
