import { healthRoutes } from './health-routes.js';
import { userRoutes } from './user-routes.js';
import type { RouteModule } from './route-module.js';

/** Every route module of the reference service, registered in this order. */
export const ROUTES: readonly RouteModule[] = [healthRoutes, userRoutes];

export type { RouteModule, RouteContext } from './route-module.js';
