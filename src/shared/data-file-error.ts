/**
 * A database file in the data dir that this build cannot use as it is: not a SQLite database,
 * corrupt, written by a newer Magnetar, not writable by this process, or locked by another
 * one. The error names the file; the CLI reports it in one line (exit statuses in main.ts).
 */
import { problemWords, sqliteProblem, type SqliteProblem } from './sqlite-problems.js';

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
