/**
 * The paths the service needs before it starts (MAGNETAR_DATA_DIR, LOG_FILE), checked up front
 * so a bad one is reported as a configuration error naming the setting, not as a stack trace.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { makeDirs } from '../shared/make-dirs.js';
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { createLogger, type AppLogger } from '../observability/logger.js';

/** MAGNETAR_DATA_DIR or LOG_FILE names a path the process cannot use: a configuration error. */
export class StartupPathError extends Error {
  readonly code = 'STARTUP_PATH';
  constructor(
    readonly setting: 'MAGNETAR_DATA_DIR' | 'LOG_FILE',
    path: string,
    cause: unknown,
  ) {
    super(`${setting} ${JSON.stringify(path)}: ${fsReason(cause)}`, { cause });
    this.name = 'StartupPathError';
  }
}

const FS_REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'a part of the path exists and is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
};

function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason = FS_REASONS[e.code ?? ''];
  if (!reason) return e instanceof Error ? e.message : String(err);
  return `${reason} (${e.code}${e.path ? ` on ${e.path}` : ''})`;
}

/** Creates the data directory and checks it is a writable directory, naming the setting when not. */
export function prepareDataDir(config: Pick<Config, 'dataDir'>): string {
  const dataDir = resolve(config.dataDir);
  try {
    makeDirs(dataDir);
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new StartupPathError('MAGNETAR_DATA_DIR', config.dataDir, err);
  }
  // An existing file there passes both (makeDirs leaves it, a file may be writable), and
  // SQLite would then fail with "unable to open database file".
  if (!statSync(dataDir).isDirectory())
    throw new StartupPathError(
      'MAGNETAR_DATA_DIR',
      config.dataDir,
      new Error('is not a directory'),
    );
  return dataDir;
}

/** The process's logger; a LOG_FILE it cannot open is reported as that setting. */
export function createServiceLogger(config: Config): AppLogger {
  try {
    return createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile });
  } catch (err) {
    // The logger opens LOG_FILE at once, so a file system error here is about that path.
    if (config.logFile && (err as NodeJS.ErrnoException).syscall)
      throw new StartupPathError('LOG_FILE', config.logFile, err);
    throw err;
  }
}
