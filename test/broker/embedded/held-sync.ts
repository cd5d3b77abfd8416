import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GroupCommitWriter,
  type AckSource,
} from '../../../src/broker/embedded/group-commit-writer.js';
import { resolveOptions } from '../../../src/broker/embedded/options.js';
import { openDatabase } from '../../../src/broker/embedded/schema.js';
import type { StoredMessage } from '../../../src/broker/embedded/stored-message.js';
import { WalSync } from '../../../src/broker/embedded/wal-sync.js';

type After = { after(fn: () => unknown): void };

export function tempDir(t: After, prefix = 'magnetar-embedded-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A WalSync whose syncs complete only when the test says so; a failure sticks, as in WalSync. */
export class HeldSync extends WalSync {
  held: Array<(err: Error | null) => void> = [];
  private heldFailure: Error | undefined;
  private readonly whenDoneFns: Array<() => void> = [];
  constructor() {
    super('/nonexistent');
  }
  override after(done: (err: Error | null) => void): void {
    if (this.heldFailure !== undefined) done(this.heldFailure);
    else this.held.push(done);
  }
  override get failed(): Error | undefined {
    return this.heldFailure;
  }
  override get running(): boolean {
    return this.held.length > 0;
  }
  override whenDone(fn: () => void): void {
    this.whenDoneFns.push(fn);
  }
  release(err: Error | null = null): void {
    if (err !== null) this.heldFailure ??= err;
    for (const done of this.held.splice(0)) done(err);
    for (const fn of this.whenDoneFns.splice(0)) fn();
  }
}

/** A writer on a fresh database with one topic 't', its sync held by the test. */
export function writerWithHeldSync(t: After): HeldWriter {
  const options = resolveOptions({ dataDir: tempDir(t) });
  const db = openDatabase(options);
  t.after(() => {
    db.close();
  });
  const topicId = Number(
    db.prepare("INSERT INTO topics (name, created_at) VALUES ('t', 0)").run().lastInsertRowid,
  );
  const subId = Number(
    db
      .prepare(
        "INSERT INTO subscriptions (topic_id, name, type, mark_delete, created_at) VALUES (?, 's', 'Shared', 0, 0)",
      )
      .run(topicId).lastInsertRowid,
  );
  const sync = new HeldSync();
  const events: string[] = [];
  const writer = new GroupCommitWriter(
    db,
    10_000,
    {
      onWritten: (_id, last) => events.push(`written ${last}`),
      onCommitted: (_id, recs: StoredMessage[]) => events.push(`committed ${recs.length}`),
      onMoved: () => undefined,
    },
    sync,
  );
  const send = (n: number) =>
    new Promise<StoredMessage>((resolve, reject) =>
      writer.enqueue({
        rec: {
          topicId,
          topic: 't',
          entryId: 0,
          publishTime: 1,
          eventTime: 0,
          deliverAt: 0,
          partitionKey: undefined,
          orderingKey: undefined,
          properties: undefined,
          data: Buffer.from(String(n)),
        },
        propertiesJson: null,
        resolve,
        reject,
        gone: () => reject(new Error('gone')),
      }),
    );
  /** Queues an individual ack of `entry` on subscription 's' and returns its commit. */
  const ack = (entry: number) => {
    const source: AckSource = {
      takeAckChanges: () => ({
        subscriptionId: subId,
        markDelete: 0,
        acks: [entry],
        markDeleteChanged: false,
      }),
      restoreAckChanges: () => undefined,
    };
    writer.markDirty(source);
    return writer.nextCommit();
  };
  const reader = new Database(join(options.dataDir, 'broker.sqlite'), { readonly: true });
  t.after(() => {
    reader.close();
  });
  const count = (table: string) =>
    (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { db, dataDir: options.dataDir, topicId, subId, writer, sync, events, send, ack, count };
}

export interface HeldWriter {
  db: Database.Database;
  dataDir: string;
  topicId: number;
  subId: number;
  writer: GroupCommitWriter;
  sync: HeldSync;
  events: string[];
  send(n: number): Promise<StoredMessage>;
  ack(entry: number): Promise<void>;
  count(table: string): number;
}
