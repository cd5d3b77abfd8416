import { timerDelay } from './timer-delay.js';

/**
 * Items that expire a fixed delay after they were added (nack delay, ack timeout). Since the
 * delay is constant per queue, insertion order is expiry order: a FIFO and one timer suffice.
 */
export class DeadlineQueue<T> {
  private items: Array<{ item: T; due: number }> = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly now: () => number,
    private readonly onExpired: (items: T[]) => void,
  ) {}

  add(item: T): void {
    this.items.push({ item, due: this.now() + this.delayMs });
    if (this.timer === undefined) this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.head = 0;
  }

  private arm(): void {
    const next = this.items[this.head];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.fire(), timerDelay(next.due - this.now(), 1));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    const expired: T[] = [];
    while (this.head < this.items.length && this.items[this.head].due <= now) {
      expired.push(this.items[this.head].item);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (expired.length > 0) this.onExpired(expired);
    this.arm();
  }
}
