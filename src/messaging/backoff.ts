/** Exponential backoff with jitter, as a pure function (randomness injected). */

export interface BackoffOptions {
  /** Delay before the second attempt, a finite number of ms >= 0. Default 1000 ms. */
  initialMs?: number;
  /** Growth per attempt, >= 1. Default 2. */
  multiplier?: number;
  /** Upper bound of a delay, a finite number of ms >= 0. Default 60000 ms. */
  maxMs?: number;
  /**
   * Fraction of the delay taken off at random, 0..1. Default 0.2. With multiplier >= 2 and
   * jitter <= 0.5 successive delays never shrink until they reach maxMs (from there each is
   * maxMs less its own jitter).
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
  // The growth may overflow to Infinity: that is maxMs, unless there is no delay to grow.
  const base =
    o.initialMs === 0 ? 0 : Math.min(o.maxMs, o.initialMs * Math.pow(o.multiplier, exponent));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}

/**
 * The options, if each is a number backoffDelay can use: NaN would retry at once (NaN delays
 * become 0), a negative delay too, Infinity would park a message for ever, a multiplier below 1
 * would shrink the delays and a jitter outside 0..1 is silently clamped.
 */
export function checkBackoffOptions(
  label: string,
  option: string,
  options: BackoffOptions,
): BackoffOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${label}: ${option} must be an object`);
  for (const key of Object.keys(options))
    if (!(key in DEFAULT_BACKOFF))
      throw new TypeError(
        `${label}: ${option} has no option ${JSON.stringify(key)} (it takes ${Object.keys(DEFAULT_BACKOFF).join(', ')})`,
      );
  const check = (key: keyof BackoffOptions, min: number, max: number, what: string) => {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v >= min && v <= max))
      throw new RangeError(
        `${label}: ${option}.${key} must be ${what} (got ${typeof v === 'number' ? String(v) : typeof v})`,
      );
  };
  check('initialMs', 0, Number.MAX_SAFE_INTEGER, 'a finite number of ms >= 0');
  check('maxMs', 0, Number.MAX_SAFE_INTEGER, 'a finite number of ms >= 0');
  check('multiplier', 1, Number.MAX_VALUE, 'a finite number >= 1');
  check('jitter', 0, 1, 'a number from 0 to 1');
  return options;
}
