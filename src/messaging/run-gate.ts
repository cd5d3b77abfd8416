/**
 * Lets handler runs of one process go on together (shared) or one alone (solo): a solo run
 * waits until every shared run has ended and keeps new ones waiting until it ends. Waiting
 * solo runs go first, so a busy process cannot starve them. Used by the crash guard to run a
 * message that was in flight when the process died with nothing beside it.
 */
export class RunGate {
  private shared = 0;
  private solo = false;
  private readonly soloQueue: Array<() => boolean> = [];
  private sharedQueue: Array<() => boolean> = [];

  /** Undefined when the run may start at once (the common case: no promise to wait for). */
  enterShared(signal: AbortSignal): Promise<boolean> | undefined {
    if (!this.solo && this.soloQueue.length === 0) {
      this.shared++;
      return undefined;
    }
    return this.wait(this.sharedQueue, signal, () => this.shared++);
  }

  leaveShared(): void {
    this.shared--;
    this.wake();
  }

  /** Resolves true once alone, false if `signal` aborted first (then nothing is held). */
  enterSolo(signal: AbortSignal): Promise<boolean> {
    const entered = this.wait(this.soloQueue, signal, () => (this.solo = true));
    this.wake();
    return entered;
  }

  leaveSolo(): void {
    this.solo = false;
    this.wake();
  }

  private wait(
    queue: Array<() => boolean>,
    signal: AbortSignal,
    take: () => void,
  ): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const i = queue.indexOf(admit);
        if (i >= 0) queue.splice(i, 1);
        resolve(false);
        this.wake();
      };
      // Another waiter's abort may wake this one before its own abort listener has run.
      const admit = () => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) {
          resolve(false);
          return false;
        }
        take();
        resolve(true);
        return true;
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(admit);
    });
  }

  private wake(): void {
    if (this.solo) return;
    while (this.soloQueue.length > 0) {
      if (this.shared > 0) return;
      if (this.soloQueue.shift()!()) return;
    }
    const admitted = this.sharedQueue;
    this.sharedQueue = [];
    for (const admit of admitted) admit();
  }
}

/** The gate of this process: every guarded consumer in it, whichever journal it was given. */
export const processRunGate = new RunGate();
