// Who is using the broker. Several test runs may share one standalone on this machine; a run
// that started it must not stop it while another run still uses it. Each user (a test run, a
// test process) leaves a lease file named after its pid; leases of dead processes do not count.
// A broker started for tests carries an auto-stop mark: the last test run to release it stops
// it. A broker started by hand (`npm run pulsar:start`) has no mark and stays up.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './lock.mjs';

const leaseDir = (s) => join(s.runDir, 'leases');
const autoStopFile = (s) => join(s.runDir, 'auto-stop');

export function addLease(s, pid) {
  mkdirSync(leaseDir(s), { recursive: true });
  writeFileSync(join(leaseDir(s), String(pid)), '');
}

export function removeLease(s, pid) {
  rmSync(join(leaseDir(s), String(pid)), { force: true });
}

/** Pids holding a lease whose process is still alive; removes the others. */
export function liveLeases(s) {
  if (!existsSync(leaseDir(s))) return [];
  const live = [];
  for (const name of readdirSync(leaseDir(s))) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) live.push(pid);
    else rmSync(join(leaseDir(s), name), { force: true });
  }
  return live;
}

export function clearLeases(s) {
  rmSync(leaseDir(s), { recursive: true, force: true });
}

export function markAutoStop(s, on) {
  if (on) writeFileSync(autoStopFile(s), '');
  else rmSync(autoStopFile(s), { force: true });
}

export function isAutoStop(s) {
  return existsSync(autoStopFile(s));
}
