import { context, ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * Installs a minimal synchronous OpenTelemetry context manager for one test (the SDK's
 * async-hooks one is not a dependency) and removes it when the test ends.
 */
export function useSyncContextManager(t: { after(fn: () => void): void }): void {
  let active: Context = ROOT_CONTEXT;
  const manager: ContextManager = {
    active: () => active,
    with(ctx, fn, thisArg, ...args) {
      const prev = active;
      active = ctx;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        active = prev;
      }
    },
    bind: (_ctx, target) => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  };
  context.setGlobalContextManager(manager);
  t.after(() => context.disable());
}
