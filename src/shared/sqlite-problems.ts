/**
 * What a SQLite error says about its database file, in words for an operator: the problems a
 * process cannot fix by itself (another process's lock, a file that is not a database, one it
 * may not write). Shared by the service database and the embedded broker's.
 */
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
