/**
 * Deadlines that all lie the same time after they are added (one timeout middleware's), so
 * they expire in the order they were added: a list kept in that order and one timer for its
 * head replace a timer per message. Removing an entry is O(1); the timer is cleared when the
 * list empties, so an idle list holds nothing that keeps the process alive.
 */
export interface DeadlineEntry {
  readonly deadline: number;
  /** Called once when the deadline passes, unless the entry was removed before. */
  readonly expire: () => void;
  prev: DeadlineEntry | undefined;
  next: DeadlineEntry | undefined;
  live: boolean;
}

export class DeadlineList {
  private head: DeadlineEntry | undefined;
  private tail: DeadlineEntry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;

  constructor(
    private readonly ms: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  add(expire: () => void): DeadlineEntry {
    const entry: DeadlineEntry = {
      deadline: this.now() + this.ms,
      expire,
      prev: this.tail,
      next: undefined,
      live: true,
    };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (this.timer === undefined) this.arm(entry.deadline);
    return entry;
  }

  remove(entry: DeadlineEntry): void {
    if (!entry.live) return;
    entry.live = false;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
    if (this.head === undefined && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    let n = 0;
    for (let e = this.head; e; e = e.next) n++;
    return n;
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - this.now())));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    // Timers may fire a little early by this clock: never expire an entry before its time.
    const now = Math.max(this.now(), this.timerAt);
    while (this.head !== undefined && this.head.deadline <= now) {
      const entry = this.head;
      this.remove(entry);
      entry.expire();
    }
    if (this.head !== undefined && this.timer === undefined) this.arm(this.head.deadline);
  };
}
