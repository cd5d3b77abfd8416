import { type Delivery, DeliveryState } from './delivery.js';
import { MinHeap } from './min-heap.js';
import { timerDelay } from './timer-delay.js';

/**
 * Messages held until their deliverAt time (Shared and KeyShared, as in Pulsar). One timer,
 * armed for the earliest due message, not one per message.
 */
export class DelayedDeliveries {
  private readonly heap = new MinHeap<Delivery>((d) => d.rec.deliverAt);
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly now: () => number,
    private readonly onDue: (d: Delivery) => void,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  add(d: Delivery): void {
    this.heap.push(d);
    if (d.rec.deliverAt < this.timerAt) this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.heap.clear();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    const next = this.heap.peek();
    if (next === undefined) return;
    this.timerAt = next.rec.deliverAt;
    this.timer = setTimeout(() => this.fire(), timerDelay(this.timerAt - this.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    for (
      let d = this.heap.peek();
      d !== undefined && d.rec.deliverAt <= now;
      d = this.heap.peek()
    ) {
      this.heap.pop();
      if (d.state === DeliveryState.Delayed) this.onDue(d);
    }
    this.arm();
  }
}
