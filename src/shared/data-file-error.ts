/**
 * A database file in the data dir that this build cannot use as it is: not a SQLite database,
 * corrupt, written by a newer Magnetar, not writable by this process, or locked by another
 * one. The error names the file; the CLI reports it in one line (exit statuses in main.ts).
 * Also what a SQLite error says about its file, in words for an operator (the embedded
 * broker reports its own failed writes with them).
 */
import { accessSync, constants } from 'node:fs';

export type SqliteProblem = 'locked' | 'not-a-database' | 'corrupt' | 'read-only';

/** By primary result code: the extended ones (SQLITE_BUSY_SNAPSHOT...) share its meaning. */
const BY_CODE: Record<string, SqliteProblem> = {
  SQLITE_BUSY: 'locked',
  SQLITE_LOCKED: 'locked',
  SQLITE_NOTADB: 'not-a-database',
  SQLITE_CORRUPT: 'corrupt',
  SQLITE_READONLY: 'read-only',
};

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** An error of SQLite itself (better-sqlite3's SqliteError), by its result code. */
export function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && codeOf(err) !== undefined;
}

/** The problem with the file that `err` reports, if it is one of the known ones. */
export function sqliteProblem(err: unknown): SqliteProblem | undefined {
  const primary = /^SQLITE_[A-Z]+/.exec(codeOf(err) ?? '')?.[0];
  return primary === undefined ? undefined : BY_CODE[primary];
}

/** The problem said after a file's name: `<file> is locked by another process`. */
export function problemWords(problem: SqliteProblem, err?: unknown): string {
  const detail = err instanceof Error ? ` (${err.message})` : '';
  switch (problem) {
    case 'locked':
      return 'is locked by another process';
    case 'not-a-database':
      return 'is not a SQLite database (corrupt, or another kind of file)';
    case 'corrupt':
      return `is corrupt${detail}`;
    case 'read-only':
      return `cannot be written by this process${detail}`;
  }
}

export type DataFileProblem = SqliteProblem | 'newer-schema';

export class DataFileError extends Error {
  readonly code = 'DATA_FILE';
  constructor(
    readonly file: string,
    readonly problem: DataFileProblem,
    words: string,
    options?: { cause?: unknown },
  ) {
    super(`${file} ${words}`, options);
    this.name = 'DataFileError';
  }
}

/** A failure to open or migrate `file` as a DataFileError when SQLite says what is wrong. */
export function asDataFileError(err: unknown, file: string): unknown {
  if (err instanceof DataFileError) return err;
  const problem = sqliteProblem(err);
  if (problem === undefined) return err;
  return new DataFileError(file, problem, problemWords(problem, err), { cause: err });
}

/** The file's schema is newer than any this build knows: refused before anything is read. */
export function newerSchemaError(file: string, found: string, known: string): DataFileError {
  return new DataFileError(
    file,
    'newer-schema',
    `was written by a newer Magnetar: schema ${found}, this build knows up to ${known}`,
  );
}

const ACCESS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/**
 * Refuses a database file, or its WAL or shared-memory file, that this process may not write.
 * SQLite opens such a file read-only without a word and fails only at the first write, while
 * reads (a readiness check) still succeed. The kernel's answer is what counts: root may
 * write a file of any mode, so for root only a read-only file system is refused, as SQLite
 * itself would find.
 */
export function assertWritable(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      accessSync(f, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const reason = ACCESS_REASONS[code];
      // Missing (created on open) or not reachable at all: opening it says so.
      if (reason === undefined) continue;
      throw new DataFileError(
        f,
        'read-only',
        `cannot be written by this process: ${reason} (${code})`,
        {
          cause: err,
        },
      );
    }
  }
}
