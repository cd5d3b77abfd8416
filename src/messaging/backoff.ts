/** Exponential backoff with jitter, as a pure function (randomness injected). */

export interface BackoffOptions {
  /** Delay before the second attempt. Default 1000 ms. */
  initialMs?: number;
  /** Growth per attempt. Default 2. */
  multiplier?: number;
  /** Upper bound of a delay. Default 60000 ms. */
  maxMs?: number;
  /**
   * Fraction of the delay taken off at random, 0..1. Default 0.2. With multiplier >= 2 and
   * jitter <= 0.5 successive delays never shrink.
   */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 1000,
  multiplier: 2,
  maxMs: 60_000,
  jitter: 0.2,
};

/** Delay after the given failed attempt (1 = the first delivery failed). */
export function backoffDelay(
  failedAttempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const exponent = Math.max(0, failedAttempt - 1);
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.multiplier, exponent));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}
