// The standalone broker as an operating-system process: its configuration, its command line,
// its pid file, and stopping it (only the process these scripts started, found by pid).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';
import { processAlive } from './lock.mjs';
import { clientSecurityConfig, securityConfig } from './security.mjs';
import { SCRIPT_DIR } from './settings.mjs';

export const LOG4J_CONF = join(SCRIPT_DIR, 'log4j2.xml');
const STOP_GRACE_MS = 30_000;

/** Writes `text` to `path` atomically (readers never see half a file). */
export function writeFileAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeBrokerConfig(s) {
  const template = readFileSync(join(SCRIPT_DIR, 'standalone.conf.template'), 'utf8');
  const values = {
    BROKER_PORT: s.brokerPort,
    WEB_PORT: s.webPort,
    // Off unless PULSAR_AUTH_TOKEN_SECRET_KEY is set; securityConfig adds the rest.
    AUTHENTICATION_ENABLED: s.auth ? 'true' : 'false',
  };
  const conf = template.replace(/@@([A-Z_]+)@@/g, (_, k) => String(values[k])) + securityConfig(s);
  mkdirSync(s.runDir, { recursive: true });
  writeFileAtomic(s.confFile, conf);
}

export function writeClientConfig(s) {
  mkdirSync(s.runDir, { recursive: true });
  writeFileAtomic(
    s.clientConf,
    `# Written by scripts/pulsar: Pulsar's Java tools talk to the project's standalone broker.\n` +
      `webServiceUrl=${s.adminUrl}/\nbrokerServiceUrl=${s.serviceUrl}/\n` +
      clientSecurityConfig(s),
  );
}

/** The JVM options bin/pulsar uses for `pulsar standalone` on Java 17+, with our sizes. */
export function brokerJvmArgs(s) {
  return [
    `-Xms256m`,
    `-Xmx${s.heap}`,
    `-XX:MaxDirectMemorySize=${s.directMemory}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=10',
    '-XX:+ParallelRefProcEnabled',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djute.maxbuffer=10485760',
    '-Djava.net.preferIPv4Stack=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    // BookKeeper: posix_fadvise and DirectMemoryCRC32Digest.
    '--add-opens=java.base/java.io=ALL-UNNAMED',
    '--add-opens=java.base/java.util.zip=ALL-UNNAMED',
    // Netty: direct buffers.
    '--add-opens=java.base/java.nio=ALL-UNNAMED',
    '--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED',
    // Netty's DnsResolverUtil and the JVM GC metrics logger.
    '--add-opens=java.base/sun.net=ALL-UNNAMED',
    '--add-opens=java.management/sun.management=ALL-UNNAMED',
    // Not in bin/pulsar: lets the load manager read container CPU limits instead of logging an
    // IllegalAccessException at every start.
    '--add-opens=java.base/jdk.internal.platform=ALL-UNNAMED',
    // The metadata drivers that let the local bookie keep its metadata in Pulsar's store.
    '-Dbookkeeper.metadata.bookie.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver',
    '-Dbookkeeper.metadata.client.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver',
    '-Dzookeeper.4lw.commands.whitelist=*',
    '-Dzookeeper.snapshot.trust.empty=true',
    `-Dlog4j.configurationFile=${LOG4J_CONF}`,
    '-Dlog4j.shutdownHookEnabled=false',
    '-Dlog4j2.is.webapp=false',
    '-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager',
    // Marks the process as this run directory's broker, so stop never signals anything else.
    `-Dmagnetar.pulsar.run=${s.runDir}`,
  ];
}

export function brokerCommand(s) {
  return [
    ...brokerJvmArgs(s),
    '-cp',
    join(s.brokerLib, '*'),
    'org.apache.pulsar.PulsarStandaloneStarter',
    '--config',
    s.confFile,
    '--no-functions-worker',
    '--no-stream-storage',
    '--advertised-address',
    s.host,
    '--metadata-dir',
    join(s.dataDir, 'metadata'),
    '--bookkeeper-dir',
    join(s.dataDir, 'bookkeeper'),
    // Never created: its absence is what makes the starter pick RocksDB metadata over ZooKeeper.
    '--zookeeper-dir',
    join(s.dataDir, 'zookeeper'),
    '--bookkeeper-port',
    String(s.bookiePort),
  ];
}

/** Starts the broker detached from this process; its output goes to the log file. */
export function spawnBroker(s) {
  writeBrokerConfig(s);
  mkdirSync(s.dataDir, { recursive: true });
  const logFd = openSync(s.logFile, 'w');
  try {
    const child = spawn('java', brokerCommand(s), {
      cwd: s.runDir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    child.unref();
    writeFileAtomic(s.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

function commandLineOf(pid) {
  const res = spawnSync('ps', ['-ww', '-p', String(pid), '-o', 'args='], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout : '';
}

/** The pid of this run directory's broker if it is alive, else undefined. */
export function runningBrokerPid(s) {
  if (!existsSync(s.pidFile)) return undefined;
  const pid = Number(readFileSync(s.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined;
  const cmd = commandLineOf(pid);
  // A recycled pid belongs to someone else: never signal it.
  if (
    !cmd.includes('PulsarStandaloneStarter') ||
    !cmd.includes(`-Dmagnetar.pulsar.run=${s.runDir}`)
  ) {
    return undefined;
  }
  return pid;
}

async function waitForExit(pid, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await sleep(200);
  }
  return !processAlive(pid);
}

/** SIGTERM, then SIGKILL after a grace period. Resolves once the process is gone. */
export async function stopBroker(pid, log) {
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, STOP_GRACE_MS)) return 'SIGTERM';
  log(`pid ${pid} still running ${STOP_GRACE_MS / 1000}s after SIGTERM; sending SIGKILL`);
  process.kill(pid, 'SIGKILL');
  if (await waitForExit(pid, 10_000)) return 'SIGKILL';
  throw new PulsarScriptError(
    PulsarScriptErrorCode.STOP_FAILED,
    `pid ${pid} did not exit after SIGKILL`,
  );
}

export function removePidFile(s) {
  rmSync(s.pidFile, { force: true });
}

/** Last lines of the broker log, for error messages. */
export function logTail(s, lines = 25) {
  try {
    return readFileSync(s.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}
