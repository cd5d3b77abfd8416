import type { HttpServer } from '../../http/types.js';
import type { AppDeps } from '../deps.js';
import type { UserStore } from '../users/user-store.js';

/** What route modules get: the app's dependencies plus the domain stores built from them. */
export interface RouteContext extends AppDeps {
  users: UserStore;
}

/** One file per resource exports one of these; routes/index.ts lists them. */
export type RouteModule = (app: HttpServer, ctx: RouteContext) => void | Promise<void>;
