export { hashKey, javaStringHash, murmur3Hash, murmur3_32, type HashingScheme } from './hash.js';
export {
  createMessageRouter,
  signSafeMod,
  type MessageRouter,
  type MessageRouterOptions,
  type MessageRoutingMode,
} from './message-router.js';
