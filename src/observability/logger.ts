import { openSync } from 'node:fs';
import { makeDirs } from '../shared/make-dirs.js';
import { dirname } from 'node:path';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  level: LevelWithSilent;
  format: 'json' | 'pretty';
  /** Also write JSON lines to this file. */
  file?: string;
}

export interface AppLogger {
  logger: Logger;
  /** Flushes buffered lines (the log file is written asynchronously). */
  flush(): void;
}

/** The process logger: JSON lines to stdout (pretty on request), optionally also to a file. */
export function createLogger(opts: LoggerOptions): AppLogger {
  const console: DestinationStream =
    opts.format === 'pretty'
      ? pretty({ destination: 1, colorize: process.stdout.isTTY === true, sync: true })
      : pino.destination({ dest: 1, sync: false });
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: console }];
  let fileStream: ReturnType<typeof pino.destination> | undefined;
  if (opts.file) {
    // Opened here and synchronously: a path that cannot be written throws now, where the
    // caller can name the setting, rather than as an 'error' event once logging has begun.
    makeDirs(dirname(opts.file));
    const fd = openSync(opts.file, 'a');
    fileStream = pino.destination({ dest: fd, sync: false });
    streams.push({ level: 'trace', stream: fileStream });
  }
  const logger = pino(
    {
      level: opts.level,
      base: { service: 'magnetar' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.authorization'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
  return {
    logger,
    flush() {
      for (const s of [console, fileStream]) {
        const f = (s as { flushSync?: () => void } | undefined)?.flushSync;
        if (typeof f === 'function') {
          try {
            f.call(s);
          } catch {
            // A destination that is not ready yet has nothing to flush.
          }
        }
      }
    },
  };
}
