export { loadConfig, ConfigError, type ConfigProblem } from './load-config.js';
export { CONFIG_SCHEMA, type Config, type VarSpec } from './schema.js';
