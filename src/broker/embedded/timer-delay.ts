/** setTimeout's largest delay; a longer one overflows and fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The delay to arm a timer with for something due in `ms`. A deadline further away than
 * setTimeout allows (a message delayed by months, a huge ack timeout) gets a timer that fires
 * early; the queues re-arm when they find nothing due yet.
 */
export function timerDelay(ms: number, min = 0): number {
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(min, ms));
}
