export {
  PulsarBroker,
  createPulsarBroker,
  defaultAdminUrl,
  type PulsarBrokerOptions,
} from './broker.js';
