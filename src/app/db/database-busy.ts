/**
 * How long one statement may wait on the event loop for another process's write lock before
 * SQLite gives up with SQLITE_BUSY. Transactions of the service, its workers and the CLI
 * hold the lock for milliseconds; a longer hold is someone else's (an operator's sqlite3
 * shell, a backup), and waiting it out synchronously would stall every request. Callers
 * that can wait (group writers) retry later off the loop; the API answers 503.
 */
export const BUSY_TIMEOUT_MS = 250;
/** The wait while opening and migrating, before any request is served. */
export const OPEN_BUSY_TIMEOUT_MS = 5000;

/** A SQLite error saying another connection holds the lock (SQLITE_BUSY and its variants). */
export function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}
