/** Plugs the event pipeline into `startService`: broker, publisher, consumers, readiness. */
import type { ServiceExtension } from '../service.js';
import { startEventPipeline, type EventPipelineOptions } from './event-pipeline.js';

export function eventPipelineExtension(options: EventPipelineOptions): ServiceExtension {
  return async (ctx) => {
    const pipeline = await startEventPipeline(ctx, options);
    ctx.deps.broker = pipeline.broker;
    ctx.deps.publisher = pipeline.events;
    ctx.deps.pipeline = pipeline;
  };
}
