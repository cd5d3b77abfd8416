export { createEmbeddedBroker, EmbeddedBroker } from './broker.js';
export type { EmbeddedBrokerOptions } from './options.js';
