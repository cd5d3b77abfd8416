import type { Migration } from './migrate.js';
import { USER_MIGRATIONS } from '../users/user-migrations.js';

/**
 * Every migration of the service database, in order. Each domain keeps its own list next to
 * its store; append a domain's list here. Never reorder or edit a released migration.
 */
export const MIGRATIONS: readonly Migration[] = [...USER_MIGRATIONS];
