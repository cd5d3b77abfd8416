// Where the Pulsar runtime lives and which ports it uses, all derived from the environment.
//
//   PULSAR_BROKER_PORT    binary protocol port              (6650)
//   PULSAR_WEB_PORT       admin REST / HTTP port            (8080)
//   PULSAR_BOOKIE_PORT    the local bookie's port           (3181)
//   MAGNETAR_CACHE_DIR    root of the cache and run dirs    ($XDG_CACHE_HOME/magnetar or ~/.cache/magnetar)
//   PULSAR_HEAP           broker -Xmx                       (1g)
//   PULSAR_DIRECT_MEMORY  broker -XX:MaxDirectMemorySize    (1g)
//   PULSAR_START_TIMEOUT  seconds to wait for readiness     (180)
//   PULSAR_MAVEN_REPO     Maven local repository            (Maven's default, ~/.m2/repository)
// Token authentication and a TLS port are opt-in: see security.mjs (PULSAR_AUTH_*, PULSAR_TLS_*).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';
import { authSettings, tlsSettings } from './security.mjs';

/** The broker: newest 4.0.x LTS whose full dependency tree is on Maven Central (see pom.xml). */
export const BROKER_VERSION = '4.0.7';
/** pulsar-client-tools and pulsar-testclient: 4.0.7 is not on Maven Central (see pom.xml). */
export const TOOLS_VERSION = '4.0.8';
export const HOST = '127.0.0.1';
export const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));
export const POM = join(SCRIPT_DIR, 'pom.xml');
export const MAVEN_SETTINGS = join(SCRIPT_DIR, 'maven-settings.xml');

/** Identifies what the pom resolves; a changed pom gets a new cache directory. */
export function resolutionDigest() {
  const h = createHash('sha256');
  h.update(readFileSync(POM));
  h.update(readFileSync(MAVEN_SETTINGS));
  return h.digest('hex');
}

function port(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      `${name}=${raw} is not a TCP port (an integer from 1 to 65535)`,
    );
  }
  return n;
}

function memory(env, name, fallback) {
  const raw = env[name] || fallback;
  if (!/^[0-9]+[kmgKMG]$/.test(raw)) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      `${name}=${raw} is not a JVM memory size such as 512m or 1g`,
    );
  }
  return raw;
}

function seconds(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      `${name}=${raw} is not a positive number of seconds`,
    );
  }
  return n;
}

/** Everything the scripts need to know, computed once from `env`. */
export function pulsarSettings(env = process.env) {
  const brokerPort = port(env, 'PULSAR_BROKER_PORT', 6650);
  const webPort = port(env, 'PULSAR_WEB_PORT', 8080);
  const bookiePort = port(env, 'PULSAR_BOOKIE_PORT', 3181);
  const cacheRoot =
    env.MAGNETAR_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'magnetar');
  // Keyed by the pom's digest: re-resolving after a pom change never deletes jars that a
  // running broker still loads classes from.
  const digest = resolutionDigest();
  const runtimeDir = join(cacheRoot, `pulsar-${BROKER_VERSION}-${digest.slice(0, 12)}`);
  // One run directory per broker port, so a second standalone on other ports never shares data.
  const runDir = join(cacheRoot, `pulsar-standalone-${brokerPort}`);
  return {
    host: HOST,
    brokerPort,
    webPort,
    bookiePort,
    serviceUrl: `pulsar://${HOST}:${brokerPort}`,
    adminUrl: `http://${HOST}:${webPort}`,
    heap: memory(env, 'PULSAR_HEAP', '1g'),
    directMemory: memory(env, 'PULSAR_DIRECT_MEMORY', '1g'),
    startTimeoutMs: seconds(env, 'PULSAR_START_TIMEOUT', 180) * 1000,
    mavenRepo: env.PULSAR_MAVEN_REPO || undefined,
    cacheRoot,
    runtimeDir,
    brokerLib: join(runtimeDir, 'broker-lib'),
    toolsLib: join(runtimeDir, `tools-${TOOLS_VERSION}-lib`),
    resolutionDigest: digest,
    installMarker: join(runtimeDir, 'installed.json'),
    installLock: `${runtimeDir}.install.lock`,
    runDir,
    dataDir: join(runDir, 'data'),
    confFile: join(runDir, 'standalone.conf'),
    clientConf: join(runDir, 'client.conf'),
    pidFile: join(runDir, 'broker.pid'),
    logFile: join(runDir, 'broker.log'),
    runLock: join(cacheRoot, `pulsar-standalone-${brokerPort}.lock`),
    auth: authSettings(env),
    tls: tlsSettings(env, port(env, 'PULSAR_TLS_PORT', 6651)),
  };
}
