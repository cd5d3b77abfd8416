import type { Migration } from './migrate.js';
import { USER_MIGRATIONS } from '../users/user-migrations.js';
import { EVENT_MIGRATIONS } from '../events/event-migrations.js';
import { ACTIVITY_MIGRATIONS } from '../activity/activity-migrations.js';
import { RECOMMENDATION_MIGRATIONS } from '../recommendations/recommendation-migrations.js';

/**
 * Every migration of the service database, in order. Each domain keeps its own list next to
 * its store; append a domain's list here. Never reorder or edit a released migration.
 */
export const MIGRATIONS: readonly Migration[] = [
  ...USER_MIGRATIONS,
  ...EVENT_MIGRATIONS,
  ...ACTIVITY_MIGRATIONS,
  ...RECOMMENDATION_MIGRATIONS,
];
