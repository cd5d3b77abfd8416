import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createEmbeddedBroker, type Message } from '../../src/broker/index.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

/** Runs the child until its record file holds `minLines` lines, then SIGKILLs it. */
async function runAndKill(t: TestContext, args: string[], recordFile: string, minLines: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`child exited early (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) assert.fail(`child recorded too little: ${stderr}`);
    if (existsSync(recordFile) && statSync(recordFile).size > 0) {
      const lines = readFileSync(recordFile, 'utf8').split('\n').length - 1;
      if (lines >= minLines) break;
    }
    await sleep(20);
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the child was killed mid-stream, not finished');
  const lines = readFileSync(recordFile, 'utf8').split('\n');
  // After the last newline: nothing, or a line the kill cut off while it was being written.
  lines.pop();
  return lines;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('every publish resolved before SIGKILL is stored, in order per key, once', async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  const recordFile = join(dir, 'published.txt');
  const records = await runAndKill(
    t,
    ['publish', dataDir, recordFile, 'crash'],
    recordFile,
    30_000,
  );

  const broker = await createEmbeddedBroker({ dataDir });
  t.after(() => broker.close());
  const stored: Message[] = [];
  for (;;) {
    const page = await broker.admin.readMessages('crash', {
      limit: 10_000,
      after: stored.at(-1)?.getMessageId(),
    });
    if (page.length === 0) break;
    stored.push(...page);
  }
  const byId = new Map(stored.map((m) => [m.getMessageId().toString(), m.getData().toString()]));
  for (const line of records) {
    const [id, key, seq] = line.split('\t');
    assert.equal(byId.get(id), `${key}:${seq}`, `recorded message ${id} missing or changed`);
  }
  // Stored messages per key: 0, 1, 2, ... in id order, each once, with no gaps.
  const next = new Map<string, number>();
  for (const m of stored) {
    const [key, seq] = m.getData().toString().split(':');
    assert.equal(Number(seq), next.get(key) ?? 0, `key ${key} out of order or duplicated`);
    next.set(key, Number(seq) + 1);
  }
  assert.ok(stored.length >= records.length);
  t.diagnostic(`recorded ${records.length} receipts, found ${stored.length} stored messages`);
});

test('acks committed before SIGKILL stay acked; nothing unacked is lost', async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  const recordFile = join(dir, 'acked.txt');
  const total = 200_000;
  const setup = await createEmbeddedBroker({ dataDir });
  const subscription = await setup.subscribe({
    topic: 'acks',
    subscription: 'crash',
    subscriptionType: 'Shared',
  });
  await subscription.close();
  const producer = await setup.createProducer({ topic: 'acks', maxPendingMessages: 0 });
  const all = await Promise.all(
    Array.from({ length: total }, (_, i) => producer.send({ data: Buffer.from(String(i)) })),
  );
  await setup.close();

  const lines = await runAndKill(
    t,
    ['consume', dataDir, recordFile, 'acks', 'crash'],
    recordFile,
    10_000,
  );
  const requested = new Set(lines.filter((l) => l[0] === 'A').map((l) => l.slice(2)));
  const committed = new Set(lines.filter((l) => l[0] === 'C').map((l) => l.slice(2)));
  assert.ok(committed.size > 0 && requested.size < total, 'killed while consuming');

  const broker = await createEmbeddedBroker({ dataDir });
  t.after(() => broker.close());
  const consumer = await broker.subscribe({
    topic: 'acks',
    subscription: 'crash',
    subscriptionType: 'Shared',
  });
  const redelivered = new Set<string>();
  for (;;) {
    let m: Message;
    try {
      m = await consumer.receive(1000);
    } catch {
      break;
    }
    redelivered.add(m.getMessageId().toString());
    void consumer.acknowledge(m);
  }
  for (const id of committed)
    assert.ok(!redelivered.has(id), `acked message ${id} delivered again`);
  for (const id of all) {
    const s = id.toString();
    assert.ok(requested.has(s) || redelivered.has(s), `message ${s} lost`);
  }
  const inFlight = [...requested].filter((id) => !committed.has(id));
  t.diagnostic(
    `acks committed before the kill ${committed.size}, in flight ${inFlight.length} ` +
      `(${inFlight.filter((id) => redelivered.has(id)).length} of them redelivered), ` +
      `redelivered after restart ${redelivered.size} of ${total}`,
  );
});
