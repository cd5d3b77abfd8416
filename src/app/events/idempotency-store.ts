/**
 * Remembers the answer to a request sent with an `Idempotency-Key`, per caller, for 24 hours:
 * the same key and body get the first answer again; the same key with another body is a
 * conflict. Concurrent requests with one key wait for the first one instead of racing it.
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { AppError } from '../../http/errors.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The status of a row whose request was tried but not answered (refused or cut off). */
const ATTEMPTED = 0;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

interface Row {
  request_hash: string;
  status: number;
  response: string;
  created_at: number;
}

export class IdempotencyStore {
  private readonly find: Statement<[string, string, number], Row>;
  private readonly save: Statement<[string, string, string, number, string, number]>;
  private readonly prune: Statement<[number]>;
  private readonly pending = new Map<string, Promise<unknown>>();
  private saves = 0;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.find = db.prepare(
      `SELECT request_hash, status, response, created_at FROM idempotency_keys
       WHERE scope = ? AND key = ? AND created_at > ?`,
    );
    this.save = db.prepare(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
         status = excluded.status, response = excluded.response, created_at = excluded.created_at`,
    );
    this.prune = db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?');
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
    let hash = bodyHash(body);
    const slot = `${scope}\u0000${key}`;
    let prior: Row | undefined;
    for (;;) {
      prior = this.find.get(scope, key, this.now() - IDEMPOTENCY_WINDOW_MS);
      // A row stored before bodies were hashed with sorted keys holds the plain hash: the
      // same request still matches it, and keeps it (its event ids derive from it).
      if (prior && prior.request_hash !== hash && prior.request_hash === plainHash(body))
        hash = prior.request_hash;
      if (prior && prior.status !== ATTEMPTED) {
        if (prior.request_hash !== hash)
          throw new AppError('IDEMPOTENCY_KEY_REUSED', { idempotencyKey: key });
        return { status: prior.status, body: JSON.parse(prior.response), replayed: true };
      }
      const inFlight = this.pending.get(slot);
      if (!inFlight) break;
      await inFlight.catch(() => undefined);
    }
    let firstAttemptAt: number;
    if (prior?.request_hash === hash) {
      firstAttemptAt = prior.created_at;
    } else {
      firstAttemptAt = this.now();
      this.save.run(scope, key, hash, ATTEMPTED, '', firstAttemptAt);
    }
    const work = produce(`${hash}:${firstAttemptAt}`);
    this.pending.set(slot, work);
    try {
      const answer = await work;
      this.save.run(scope, key, hash, answer.status, JSON.stringify(answer.body), this.now());
      if (++this.saves % 1000 === 0) this.prune.run(this.now() - IDEMPOTENCY_WINDOW_MS);
      return { ...answer, replayed: false };
    } finally {
      this.pending.delete(slot);
    }
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
