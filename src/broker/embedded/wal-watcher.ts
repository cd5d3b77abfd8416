import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * After a write to the WAL the broker checks every CHECK_EVERY_MS for CHECK_FOR_MS. A commit's
 * last WAL write comes before SQLite publishes it in the shared-memory index (which the file
 * watch does not see), so one look right after the write can be too early. Our connections
 * commit without an fsync inside COMMIT (the WAL is synced afterwards, wal-sync.ts), so the gap
 * is short; a connection that syncs inside COMMIT (another tool with synchronous=FULL) can take
 * longer on a busy disk, and the poll covers that. Every write to the WAL, this process's own
 * commits included, opens the window, so it stays short. A check is one cheap pragma; finding
 * a commit restarts the window, as more usually follow.
 */
const CHECK_EVERY_MS = 2;
const CHECK_FOR_MS = 50;

/**
 * Wakes the broker when the SQLite WAL file changes, so rows another process commits to the
 * same database are noticed within a few milliseconds instead of at the next poll. `check`
 * looks (cheaply) for such rows and returns whether it found any.
 *
 * Watching is best effort and never throws: the WAL file may not exist yet (the directory is
 * watched until it appears), may be replaced (the watch is re-armed), or the platform may
 * refuse a watch (inotify limits); the broker's periodic poll covers every such gap and calls
 * `ensure` to try again.
 */
export class WalWatcher {
  private watcher: FSWatcher | undefined;
  private watchingFile = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the WAL last changed or a check last found a commit (performance.now()). */
  private lastChange = 0;
  private active = false;

  constructor(
    private readonly walFile: string,
    private readonly check: () => boolean,
  ) {}

  /** True while a file or directory watch is armed. */
  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Starts (or re-arms) the watch; cheap when it is already watching the file. */
  ensure(): void {
    this.active = true;
    if (this.watcher !== undefined && this.watchingFile) return;
    const onFile = (event: string) => {
      // The file was deleted or replaced: the watch follows the old inode, so start over.
      if (event === 'rename') this.rearm();
      this.changed();
    };
    if (this.arm(this.walFile, onFile, true)) return;
    if (this.watcher !== undefined) return;
    const name = basename(this.walFile);
    this.arm(
      dirname(this.walFile),
      (_event, file) => {
        if (file !== name) return;
        this.ensure();
        this.changed();
      },
      false,
    );
  }

  /** Stops watching and checking; `ensure` starts again. */
  stop(): void {
    this.active = false;
    this.unwatch();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(
    path: string,
    listener: (event: string, file: string | null) => void,
    isFile: boolean,
  ): boolean {
    let w: FSWatcher;
    try {
      // Not persistent: a watch alone never keeps the process alive.
      w = watch(path, { persistent: false }, listener);
    } catch {
      return false;
    }
    w.on('error', () => {
      if (this.watcher === w) this.unwatch();
    });
    this.unwatch();
    this.watcher = w;
    this.watchingFile = isFile;
    return true;
  }

  private rearm(): void {
    this.unwatch();
    if (this.active) this.ensure();
  }

  private unwatch(): void {
    const w = this.watcher;
    this.watcher = undefined;
    this.watchingFile = false;
    try {
      w?.close();
    } catch {
      // Already closed by an error.
    }
  }

  private changed(): void {
    if (!this.active) return;
    this.lastChange = performance.now();
    if (this.timer === undefined) this.timer = setTimeout(this.tick, 1).unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (!this.active) return;
    let found = false;
    try {
      found = this.check();
    } catch {
      // SQLITE_BUSY or similar: the next check (or the poll) tries again.
    }
    const now = performance.now();
    if (found) this.lastChange = now;
    if (now - this.lastChange < CHECK_FOR_MS) {
      this.timer = setTimeout(this.tick, CHECK_EVERY_MS).unref();
    }
  };
}
