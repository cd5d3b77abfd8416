import { createHttpServer } from '../http/server.js';
import type { HttpServer } from '../http/types.js';
import type { AppDeps } from './deps.js';
import { ROUTES, type RouteModule, type RouteContext } from './routes/index.js';
import { UserStore } from './users/user-store.js';

export const API_VERSION = '0.1.0';

/**
 * The reference service's HTTP app, built from injected dependencies. It does not listen;
 * tests drive it with inject(), the service start listens.
 */
export async function buildApp(
  deps: AppDeps,
  routes: readonly RouteModule[] = ROUTES,
): Promise<HttpServer> {
  const { config } = deps;
  const app = await createHttpServer({
    logger: deps.logger,
    registry: deps.registry,
    jwtSecret: deps.jwtSecret,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs },
    corsOrigin: config.corsOrigin,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    shutdownDrainMs: config.shutdownDrainMs,
    trustProxy: config.trustProxy,
    tracing: deps.tracing,
    openApi: {
      title: 'Magnetar reference service',
      version: API_VERSION,
      description:
        'Every /api response is an envelope {code, message, data}; code 0 is success. ' +
        'Error codes are listed in the README.',
    },
  });
  const ctx: RouteContext = { ...deps, users: new UserStore(deps.db, deps.now) };
  for (const register of routes) await register(app, ctx);
  return app;
}
