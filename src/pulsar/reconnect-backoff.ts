/**
 * Reconnection delays: exponential from `initialMs`, capped at `maxMs`, each lowered by a
 * random share of up to `jitter` (as the Java client does, by up to 10%) so that clients cut
 * off by the same broker restart do not all come back in the same millisecond.
 */
export interface BackoffOptions {
  /** Default 100. */
  initialMs?: number;
  /** Default 60000. */
  maxMs?: number;
  /** Fraction of the delay that may be taken off at random, 0..1. Default 0.1. */
  jitter?: number;
  /** A value in [0, 1). Default Math.random. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = Math.max(initial, options.maxMs ?? 60_000);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.1));
  const random = options.random ?? Math.random;
  // 2^attempt overflows to Infinity past ~1000 attempts; min() keeps it at max.
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt));
  const delay = base - Math.floor(base * jitter * random());
  return Math.max(Math.min(initial, base), delay);
}

/** A stateful sequence of backoff delays, reset after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions = {}) {}

  next(): number {
    return backoffDelay(this.attempt++, this.options);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
