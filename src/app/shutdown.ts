import type { Logger } from 'pino';

/**
 * Shutdown runs in phases, in this order. Each part registers its hook in the phase it
 * belongs to: the HTTP server stops first, then consumers stop taking messages, the
 * publisher flushes, the broker closes, and only then the database and the logs.
 */
export const SHUTDOWN_PHASES = [
  'http',
  'consumers',
  'publisher',
  'broker',
  'database',
  'final',
] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export type ShutdownHook = () => void | Promise<void>;

interface Registered {
  name: string;
  phase: ShutdownPhase;
  hook: ShutdownHook;
}

export interface ShutdownOutcome {
  /** True when every hook finished without error. */
  clean: boolean;
  failed: string[];
}

export class ShutdownSequence {
  private readonly hooks: Registered[] = [];
  private running: Promise<ShutdownOutcome> | undefined;

  constructor(private readonly logger: Pick<Logger, 'info' | 'error'>) {}

  /** Hooks of one phase run in reverse registration order, like a stack of resources. */
  register(phase: ShutdownPhase, name: string, hook: ShutdownHook): void {
    this.hooks.push({ name, phase, hook });
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** The `shutdown` readiness check: not ready once the sequence started. */
  readonly readinessCheck = () =>
    this.started ? { ok: false, detail: 'shutting down' } : { ok: true };

  /** Runs once; later calls return the same outcome. A failing hook does not stop the rest. */
  run(reason: string): Promise<ShutdownOutcome> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<ShutdownOutcome> {
    this.logger.info({ reason }, 'shutting down');
    const failed: string[] = [];
    for (const phase of SHUTDOWN_PHASES) {
      const hooks = this.hooks.filter((h) => h.phase === phase).reverse();
      for (const h of hooks) {
        try {
          await h.hook();
        } catch (err) {
          failed.push(h.name);
          this.logger.error({ err, hook: h.name, phase }, 'shutdown hook failed');
        }
      }
    }
    this.logger.info(
      { failed },
      failed.length ? 'shutdown finished with errors' : 'shutdown complete',
    );
    return { clean: failed.length === 0, failed };
  }
}
