/**
 * Remembers the answer to a request sent with an `Idempotency-Key`, per caller, for 24 hours:
 * the same key and body get the first answer again; the same key with another body is a
 * conflict. Concurrent requests with one key wait for the first one instead of racing it,
 * also when they reach another process serving the same data dir: the first one claims the
 * key in the database (owner and deadline) in the same transaction that checks it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { AppError } from '../../http/errors.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim holds when its process neither answers nor lets go (it hangs; a process
 * that died is noticed at once). Longer than a publish can take (its send timeout is 5 s).
 */
export const IDEMPOTENCY_CLAIM_MS = 30_000;
/** The status of a row whose request was tried but not answered (refused or cut off). */
const ATTEMPTED = 0;
/** Polling for another process's claim: from this delay, doubling up to the next. */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 200;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

interface Row {
  request_hash: string;
  status: number;
  response: string;
  created_at: number;
  owner: string;
  claimed_until: number;
}

/** What checking a key found: an answer, another process at work, or the key is ours now. */
type Claim =
  | { kind: 'answered'; answer: StoredAnswer }
  | { kind: 'busy' }
  | { kind: 'claimed'; hash: string; firstAttemptAt: number };

export class IdempotencyStore {
  private readonly find: Statement<[string, string, number], Row>;
  private readonly save: Statement<[string, string, string, number, string, number]>;
  private readonly claimRow: Statement<
    [{ scope: string; key: string; hash: string; at: number; owner: string; until: number }]
  >;
  private readonly release: Statement<[string, string, string]>;
  private readonly prune: Statement<[number]>;
  private readonly claimTx: Transaction<(scope: string, key: string, body: unknown) => Claim>;
  /**
   * This store's name in `owner`: its process id and where that id means this process (for
   * a liveness check), and a nonce.
   */
  private readonly owner = `${process.pid}/${PID_SPACE}/${randomUUID()}`;
  private readonly pending = new Map<string, Promise<unknown>>();
  private saves = 0;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.find = db.prepare(
      `SELECT request_hash, status, response, created_at, owner, claimed_until
       FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at > ?`,
    );
    this.save = db.prepare(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
         status = excluded.status, response = excluded.response, created_at = excluded.created_at,
         owner = '', claimed_until = 0`,
    );
    this.claimRow = db.prepare(
      `INSERT INTO idempotency_keys
         (scope, key, request_hash, status, response, created_at, owner, claimed_until)
       VALUES (@scope, @key, @hash, ${ATTEMPTED}, '', @at, @owner, @until)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = @hash, status = ${ATTEMPTED},
         response = '', created_at = @at, owner = @owner, claimed_until = @until`,
    );
    this.release = db.prepare(
      `UPDATE idempotency_keys SET owner = '', claimed_until = 0
       WHERE scope = ? AND key = ? AND owner = ?`,
    );
    this.prune = db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?');
    this.claimTx = db.transaction((scope: string, key: string, body: unknown) =>
      this.check(scope, key, body),
    );
  }

  /**
   * Runs `produce` once per (scope, key) within the window and returns its answer; a repeat
   * with the same body gets the stored answer (`replayed: true`). A failure is remembered only
   * as an attempt: a request refused with 503 can be retried with the same key (or, as
   * before, another body). `produce` gets the attempt's seed: the body's hash and the time of
   * the first attempt with that body, the same on every retry within the window and new after
   * it, so ids derived from it (event-ids.ts) repeat exactly when the request does.
   */
  async run(
    scope: string,
    key: string,
    body: unknown,
    produce: (attemptSeed: string) => Promise<StoredAnswer>,
  ): Promise<StoredAnswer & { replayed: boolean }> {
    const slot = `${scope}\u0000${key}`;
    let delay = POLL_FIRST_MS;
    let claim: Claim;
    for (;;) {
      const inFlight = this.pending.get(slot);
      if (inFlight) {
        await inFlight.catch(() => undefined);
        continue;
      }
      claim = this.claimTx.immediate(scope, key, body);
      if (claim.kind === 'answered') return { ...claim.answer, replayed: true };
      if (claim.kind === 'claimed') break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
    const { hash, firstAttemptAt } = claim;
    const work = produce(`${hash}:${firstAttemptAt}`);
    this.pending.set(slot, work);
    try {
      const answer = await work;
      this.save.run(scope, key, hash, answer.status, JSON.stringify(answer.body), this.now());
      if (++this.saves % 1000 === 0) this.prune.run(this.now() - IDEMPOTENCY_WINDOW_MS);
      return { ...answer, replayed: false };
    } catch (err) {
      // A retry, here or in another process, may go ahead at once.
      this.release.run(scope, key, this.owner);
      throw err;
    } finally {
      this.pending.delete(slot);
    }
  }

  /** Runs inside an IMMEDIATE transaction, so no other process checks the key meanwhile. */
  private check(scope: string, key: string, body: unknown): Claim {
    const now = this.now();
    let hash = bodyHash(body);
    const prior = this.find.get(scope, key, now - IDEMPOTENCY_WINDOW_MS);
    // A row stored before bodies were hashed with sorted keys holds the plain hash: the
    // same request still matches it, and keeps it (its event ids derive from it).
    if (prior && prior.request_hash !== hash && prior.request_hash === plainHash(body))
      hash = prior.request_hash;
    if (prior && prior.status !== ATTEMPTED) {
      if (prior.request_hash !== hash)
        throw new AppError('IDEMPOTENCY_KEY_REUSED', { idempotencyKey: key });
      return {
        kind: 'answered',
        answer: { status: prior.status, body: JSON.parse(prior.response) },
      };
    }
    if (prior && prior.claimed_until > now && claimHolds(prior.owner, this.owner))
      return { kind: 'busy' };
    const firstAttemptAt = prior?.request_hash === hash ? prior.created_at : now;
    this.claimRow.run({
      scope,
      key,
      hash,
      at: firstAttemptAt,
      owner: this.owner,
      until: now + IDEMPOTENCY_CLAIM_MS,
    });
    return { kind: 'claimed', hash, firstAttemptAt };
  }
}

/**
 * Where a process id names one process: the host and, on Linux, the PID namespace (two
 * containers on one host number their processes independently).
 */
export const PID_SPACE = (() => {
  let namespace = '';
  try {
    namespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    // Not Linux: the host name alone.
  }
  return `${hostname()}:${namespace}`.replaceAll('/', '_');
})();

/**
 * Whether another owner's unexpired claim still stands: not when it is ours (left over from
 * an attempt of this store) or its process is gone (killed before it could let go).
 */
function claimHolds(owner: string, self: string): boolean {
  if (owner === '' || owner === self) return false;
  const [pidText, space] = owner.split('/');
  const pid = Number(pidText);
  // A process of another host or container (processes sharing the data dir through a volume)
  // cannot be looked up from here: its claim holds until its deadline.
  if (space !== PID_SPACE) return true;
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The request body's identity: the same JSON value is the same body, whatever its whitespace
 * or the order of its object keys (a client library may serialize a retry differently).
 */
function bodyHash(body: unknown): string {
  return createHash('sha256')
    .update(stableStringify(body) ?? '')
    .digest('hex');
}

/** The hash rows stored before keys were sorted hold. */
function plainHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
