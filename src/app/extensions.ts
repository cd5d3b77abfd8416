import type { ServiceExtension } from './service.js';
import { eventPipelineExtension } from './pipeline/pipeline-extension.js';

/**
 * The parts each CLI role starts next to the HTTP API, in order. The event pipeline adds
 * its broker/publisher (and, for `start`, its consumers) here.
 */
export const SERVICE_EXTENSIONS: Record<'start' | 'api', readonly ServiceExtension[]> = {
  start: [eventPipelineExtension({ role: 'start' })],
  api: [eventPipelineExtension({ role: 'api' })],
};
