import { healthRoutes } from './health-routes.js';
import { userRoutes } from './user-routes.js';
import type { RouteModule } from './route-module.js';
import { eventRoutes } from '../events/event-routes.js';
import { activityRoutes } from '../activity/activity-routes.js';
import { recommendationRoutes } from '../recommendations/recommendation-routes.js';
import { dlqRoutes } from '../dlq/dlq-routes.js';

/** Every route module of the reference service, registered in this order. */
export const ROUTES: readonly RouteModule[] = [
  healthRoutes,
  userRoutes,
  eventRoutes,
  activityRoutes,
  recommendationRoutes,
  dlqRoutes,
];

export type { RouteModule, RouteContext } from './route-module.js';
