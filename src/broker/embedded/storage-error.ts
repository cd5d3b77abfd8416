/**
 * A statement on the broker's SQLite file that failed, as the broker's own error: `Internal`
 * (the broker is there but cannot do it), in words for an operator, e.g. "cannot create topic
 * persistent://public/default/a: its database is locked by another process". SQLite's error
 * stays the cause: the API answers a lock with 503 and Retry-After by it.
 */
import { BrokerError } from '../errors.js';
import { isSqliteError, problemWords, sqliteProblem } from '../../shared/sqlite-problems.js';

/** `err` as a BrokerError saying what failed and why; anything but SQLite's error as it is. */
export function storageError(err: unknown, doing: string): unknown {
  if (!isSqliteError(err)) return err;
  const problem = sqliteProblem(err);
  const why = problem === undefined ? err.message : `its database ${problemWords(problem, err)}`;
  return new BrokerError('Internal', `${doing}: ${why}`, { cause: err });
}

/** Runs a write on the file, its SQLite failure reported by storageError. */
export function storing<T>(doing: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw storageError(err, doing);
  }
}
