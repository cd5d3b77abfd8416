// A cross-process lock: a file created with O_EXCL that holds the owner's pid. Two test runs
// may call `pulsar:start` at the same moment; the second waits here, then finds the broker
// the first one started. A lock whose owner died (kill -9, power loss) is taken over.
import { closeSync, linkSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';

export function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function tryCreate(path) {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if (err.code === 'EEXIST') return false;
    throw err;
  }
}

function ownerOf(path) {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function inodeOf(path) {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Removes the lock file `ino` (whose owner is dead). Two waiters may find the same stale
 * lock; the file is first renamed aside, so only one of them removes it, and a waiter that
 * moved a fresh lock instead (another waiter already replaced the stale one) puts it back.
 */
function removeStale(path, ino) {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already gone
  }
  if (inodeOf(aside) === ino) {
    unlinkSync(aside);
    return;
  }
  try {
    linkSync(aside, path);
  } catch {
    /* a third process created a lock meanwhile; it holds the lock now */
  }
  unlinkSync(aside);
}

/**
 * Runs `fn` while holding the lock at `path`.
 * @template T
 * @param {string} path
 * @param {number} timeoutMs how long to wait for another holder
 * @param {() => Promise<T>} fn
 * @param {(ownerPid: number | undefined) => void} [onWait] called once if we have to wait
 * @returns {Promise<T>}
 */
export async function withLock(path, timeoutMs, fn, onWait) {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let waited = false;
  while (!tryCreate(path)) {
    const ino = inodeOf(path);
    const owner = ownerOf(path);
    if (owner !== undefined && !processAlive(owner)) {
      removeStale(path, ino);
      continue;
    }
    if (Date.now() > deadline) {
      throw new PulsarScriptError(
        PulsarScriptErrorCode.LOCK_TIMEOUT,
        `waited ${Math.round(timeoutMs / 1000)}s for ${path} (held by pid ${owner ?? 'unknown'})`,
      );
    }
    if (!waited && onWait) onWait(owner);
    waited = true;
    await sleep(250);
  }
  const release = () => {
    if (ownerOf(path) === process.pid) unlinkSync(path);
  };
  process.once('exit', release);
  try {
    return await fn();
  } finally {
    process.removeListener('exit', release);
    release();
  }
}
