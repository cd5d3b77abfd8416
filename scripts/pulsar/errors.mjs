// Errors the Pulsar scripts report to users, each with a stable code so callers (the test
// helper, CI logs) can tell a missing JDK from a broker that never came up.

export const PulsarScriptErrorCode = Object.freeze({
  BAD_ENV: 'PULSAR_BAD_ENV',
  JAVA_MISSING: 'PULSAR_JAVA_MISSING',
  MAVEN_MISSING: 'PULSAR_MAVEN_MISSING',
  RESOLVE_FAILED: 'PULSAR_RESOLVE_FAILED',
  NOT_INSTALLED: 'PULSAR_NOT_INSTALLED',
  PORT_BUSY: 'PULSAR_PORT_BUSY',
  EXITED: 'PULSAR_EXITED',
  START_TIMEOUT: 'PULSAR_START_TIMEOUT',
  STOP_FAILED: 'PULSAR_STOP_FAILED',
  LOCK_TIMEOUT: 'PULSAR_LOCK_TIMEOUT',
  NOT_READY: 'PULSAR_NOT_READY',
  USAGE: 'PULSAR_USAGE',
});

export class PulsarScriptError extends Error {
  /**
   * @param {string} code one of PulsarScriptErrorCode
   * @param {string} message what went wrong and what to do about it
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'PulsarScriptError';
    this.code = code;
  }
}
