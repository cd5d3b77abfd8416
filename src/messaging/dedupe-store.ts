/** Remembers which keys (event ids) a subscription has handled. */
export interface DedupeStore {
  has(scope: string, key: string): boolean | Promise<boolean>;
  add(scope: string, key: string): void | Promise<void>;
}

/**
 * In-memory, bounded: the oldest keys are forgotten first. Catches redeliveries within a
 * process lifetime; handlers that must be exactly-once across restarts keep their own
 * durable record (as the activity store does with a unique event id).
 */
export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity = 100_000) {}

  has(scope: string, key: string): boolean {
    return this.keys.has(`${scope}\u0000${key}`);
  }

  add(scope: string, key: string): void {
    const k = `${scope}\u0000${key}`;
    this.keys.delete(k);
    this.keys.add(k);
    while (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}
