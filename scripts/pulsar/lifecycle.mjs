// start / stop / status of the project's Pulsar standalone, safe to call from several
// processes at once: each command holds the run directory's lock while it works.
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';
import { withLock, processAlive } from './lock.mjs';
import { ensureInstalled, javaMajorVersion } from './install.mjs';
import { probeBroker } from './probe.mjs';
import {
  logTail,
  removePidFile,
  runningBrokerPid,
  spawnBroker,
  stopBroker,
} from './broker-process.mjs';
import { BROKER_VERSION } from './settings.mjs';
import {
  addLease,
  clearLeases,
  isAutoStop,
  liveLeases,
  markAutoStop,
  removeLease,
} from './leases.mjs';

// Long enough for a cold start that first resolves ~240 MB from Maven Central.
const RUN_LOCK_TIMEOUT_MS = 25 * 60 * 1000;

function portFree(port, host) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function busyPorts(s) {
  const busy = [];
  for (const [name, port] of [
    ['PULSAR_BROKER_PORT', s.brokerPort],
    ['PULSAR_WEB_PORT', s.webPort],
    ['PULSAR_BOOKIE_PORT', s.bookiePort],
    ...(s.tls ? [['PULSAR_TLS_PORT', s.tls.port]] : []),
  ]) {
    if (!(await portFree(port, s.host))) busy.push(`${name}=${port}`);
  }
  return busy;
}

async function waitUntilReady(s, pid, log) {
  const started = Date.now();
  const deadline = started + s.startTimeoutMs;
  let last = { step: 'clusters', detail: 'not asked yet' };
  while (Date.now() < deadline) {
    if (!processAlive(pid)) {
      removePidFile(s);
      throw new PulsarScriptError(
        PulsarScriptErrorCode.EXITED,
        `the Pulsar broker (pid ${pid}) exited during start; see ${s.logFile}\n${logTail(s)}`,
      );
    }
    last = await probeBroker(s.adminUrl, s.auth?.superUserToken);
    if (last.ready) return Date.now() - started;
    await sleep(500);
  }
  log(`not ready after ${s.startTimeoutMs / 1000}s; stopping pid ${pid}`);
  await stopBroker(pid, log).catch(() => undefined);
  removePidFile(s);
  throw new PulsarScriptError(
    PulsarScriptErrorCode.START_TIMEOUT,
    `the Pulsar broker was not ready within ${s.startTimeoutMs / 1000}s ` +
      `(last check: ${last.step}: ${last.detail}); see ${s.logFile}\n${logTail(s)}`,
  );
}

/**
 * Starts the broker unless one already answers on the configured ports.
 * With `lease` (a pid), records that process as a user of the broker, and a broker started
 * for it is marked to stop when its last user releases it (see leases.mjs). Without one (a
 * start by hand), the broker stays up until `stop`.
 * @returns {Promise<{ started: boolean, pid?: number }>}
 */
export async function startPulsar(s, { lease } = {}, log = console.error) {
  return withLock(
    s.runLock,
    RUN_LOCK_TIMEOUT_MS,
    async () => {
      const result = await startLocked(s, log);
      if (lease !== undefined) addLease(s, lease);
      if (result.started) markAutoStop(s, lease !== undefined);
      else if (lease === undefined) markAutoStop(s, false);
      return result;
    },
    (owner) => log(`another Pulsar command (pid ${owner ?? '?'}) holds ${s.runLock}; waiting`),
  );
}

async function startLocked(s, log) {
  const pid = runningBrokerPid(s);
  const probe = await probeBroker(s.adminUrl, s.auth?.superUserToken);
  if (probe.ready) {
    log(
      pid
        ? `Pulsar is already running (pid ${pid}) at ${s.serviceUrl}, admin ${s.adminUrl}`
        : `a Pulsar broker already answers at ${s.adminUrl}; reusing it`,
    );
    return { started: false, pid };
  }
  if (pid) {
    log(`Pulsar pid ${pid} is running but not ready yet (${probe.step}: ${probe.detail}); waiting`);
    await waitUntilReady(s, pid, log);
    return { started: false, pid };
  }
  const busy = await busyPorts(s);
  if (busy.length > 0) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.PORT_BUSY,
      `cannot start Pulsar: ${busy.join(', ')} already in use by something that is not a ` +
        `ready Pulsar broker; free the port or choose others through those variables`,
    );
  }
  javaMajorVersion();
  await ensureInstalled(s, log);
  const newPid = spawnBroker(s);
  log(`starting Pulsar ${BROKER_VERSION} standalone (pid ${newPid}), log ${s.logFile}`);
  const ms = await waitUntilReady(s, newPid, log);
  log(
    `Pulsar ready in ${(ms / 1000).toFixed(1)}s: ${s.serviceUrl}, admin ${s.adminUrl} (pid ${newPid})`,
  );
  return { started: true, pid: newPid };
}

/** Stops the broker these scripts started (found by pid file); `wipe` also deletes its data. */
export async function stopPulsar(s, { wipe = false } = {}, log = console.error) {
  return withLock(s.runLock, RUN_LOCK_TIMEOUT_MS, () => stopLocked(s, wipe, log));
}

/**
 * Ends `lease`'s use of the broker. If it was started for tests and nobody else holds a lease,
 * stops it; a broker started by hand stays up.
 */
export async function releasePulsar(s, lease, log = console.error) {
  return withLock(s.runLock, RUN_LOCK_TIMEOUT_MS, async () => {
    removeLease(s, lease);
    const others = liveLeases(s);
    if (!isAutoStop(s) || !runningBrokerPid(s)) return { stopped: false, others };
    if (others.length > 0) {
      log(`Pulsar stays up: still used by pid ${others.join(', ')}`);
      return { stopped: false, others };
    }
    return { ...(await stopLocked(s, false, log)), others };
  });
}

async function stopLocked(s, wipe, log) {
  const pid = runningBrokerPid(s);
  let stopped = false;
  if (pid) {
    const how = await stopBroker(pid, log);
    log(`Pulsar (pid ${pid}) stopped (${how})`);
    stopped = true;
  } else {
    log(`Pulsar is not running from ${s.runDir}`);
  }
  removePidFile(s);
  clearLeases(s);
  markAutoStop(s, false);
  if (wipe) {
    rmSync(s.dataDir, { recursive: true, force: true });
    log(`Pulsar data wiped: ${s.dataDir}`);
  }
  return { stopped, pid };
}

/** Whether a ready broker answers on the configured ports, and whether we started it. */
export async function pulsarStatus(s) {
  const pid = runningBrokerPid(s);
  const probe = await probeBroker(s.adminUrl, s.auth?.superUserToken);
  return { ...probe, pid, serviceUrl: s.serviceUrl, adminUrl: s.adminUrl, logFile: s.logFile };
}
