import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type AnyLogFn = (...args: unknown[]) => void;

/** pino's numeric levels; a logger logs a line when its `levelVal` is at most the line's. */
const LEVEL_VALUES: Record<LogMethod, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** A pino logger: its numeric level tells whether a line would be written. */
interface LevelledLogger extends FastifyBaseLogger {
  levelVal: number;
}

function isLevelled(logger: FastifyBaseLogger): logger is LevelledLogger {
  return typeof (logger as Partial<LevelledLogger>).levelVal === 'number';
}

/**
 * A request's logger that creates its pino child (with the request id binding) only when a
 * line at an enabled level is written. Fastify makes a child logger for every request; at
 * LOG_LEVEL=warn most requests never log, and pino's child() (bindings serialized, a new
 * logger object) was the largest cost of the request log in profiles. Lines that are written
 * go through a real pino child, so they are the same as before.
 */
class DeferredChildLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: LevelledLogger,
    private readonly bindings: Bindings,
  ) {}

  private materialize(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings));
  }

  private write(method: LogMethod, args: unknown[]): void {
    const target =
      this.real ?? (this.parent.levelVal <= LEVEL_VALUES[method] ? this.materialize() : undefined);
    if (target !== undefined) (target[method] as AnyLogFn).apply(target, args);
  }

  get level(): string {
    return (this.real ?? this.parent).level;
  }

  set level(level: string) {
    this.materialize().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.materialize().child(bindings, options);
  }
}

function hasOptions(options: ChildLoggerOptions | undefined): boolean {
  for (const key in options) if (Object.hasOwn(options, key)) return true;
  return false;
}

/**
 * Fastify's `childLoggerFactory`: a deferred child for pino loggers; a plain child when the
 * route asks for its own level or serializers, or when the logger is not pino.
 */
export function deferredChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (!isLevelled(logger) || hasOptions(options)) return logger.child(bindings, options);
  return new DeferredChildLogger(logger, bindings);
}
