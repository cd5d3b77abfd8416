// Producer throughput of Magnetar's Pulsar client next to Pulsar's own perf tool (Java),
// same settings, same standalone broker, one run:
//   npm run bench:pulsar -- [--seconds 20] [--size 1024] [--rounds 1]
// Settings for both: batching on, at most 1000 messages / 128 KiB / 10 ms per batch, at most
// 1000 messages outstanding, one producer, one non-partitioned topic, no compression.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { PulsarClient } from '../src/pulsar/index.js';
import { ensurePulsar, freshTopic, releasePulsar } from '../test/helpers/pulsar.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    size: { type: 'string', default: '1024' },
  },
});
const SECONDS = Number(values.seconds);
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);
/** Both tools run this long before measuring starts (JIT, connection, topic ownership). */
const WARMUP_SECONDS = 5;
const BATCH_MAX_MESSAGES = 1000;
const BATCH_MAX_BYTES = 128 * 1024;
const BATCH_DELAY_MS = 10;
const MAX_OUTSTANDING = 1000;
const PERF = fileURLToPath(new URL('../scripts/pulsar/perf', import.meta.url));

interface Result {
  messages: number;
  seconds: number;
  msgPerSec: number;
  mbitPerSec: number;
}

/** Sends for WARMUP_SECONDS + SECONDS, counting the receipts of the last SECONDS. */
async function ours(serviceUrl: string): Promise<Result> {
  const client = new PulsarClient({ serviceUrl });
  try {
    const producer = await client.createProducer({
      topic: benchTopic('bench-ours'),
      batchingEnabled: true,
      batchingMaxMessages: BATCH_MAX_MESSAGES,
      batchingMaxBytes: BATCH_MAX_BYTES,
      batchingMaxPublishDelayMs: BATCH_DELAY_MS,
      maxPendingMessages: MAX_OUTSTANDING,
    });
    const payload = Buffer.alloc(SIZE, 0x61);
    let acked = 0;
    let stop = false;
    let inFlight = 0;
    let failed: unknown;
    const pump = () => {
      while (!stop && inFlight < MAX_OUTSTANDING) {
        inFlight++;
        producer.send({ data: payload }).then(
          () => {
            inFlight--;
            acked++;
            pump();
          },
          (err: unknown) => {
            failed ??= err;
            stop = true;
          },
        );
      }
    };
    pump();
    await sleep(WARMUP_SECONDS * 1000);
    const from = acked;
    const start = process.hrtime.bigint();
    await sleep(SECONDS * 1000);
    const count = acked - from;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    stop = true;
    await producer.flush();
    if (failed) throw failed;
    return rate(count, seconds);
  } finally {
    await client.close();
  }
}

/**
 * pulsar-perf, printing its rate every 10 s. Its "Aggregated" line divides by the whole run
 * including JVM start and shutdown, and its first interval includes producer creation, so
 * the rates of the later intervals are averaged instead.
 */
async function perf(): Promise<Result> {
  const interval = 10;
  const intervals = Math.max(1, Math.round(SECONDS / interval));
  const args = [
    'produce',
    ...['-time', String(interval * (intervals + 1) + 5), '-i', String(interval)],
    ...['-r', '10000000', '-s', String(SIZE)],
    ...['-o', String(MAX_OUTSTANDING), '-bm', String(BATCH_MAX_MESSAGES)],
    ...['-bb', String(BATCH_MAX_BYTES), '-b', String(BATCH_DELAY_MS)],
    benchTopic('bench-perf'),
  ];
  const { stdout, stderr } = await promisify(execFile)(PERF, args, {
    maxBuffer: 64 << 20,
    timeout: 600_000,
  });
  const rates = [
    ...(stdout + stderr).matchAll(/Throughput produced:\s+\d+ msg ---\s+([\d.]+) msg\/s/g),
  ].map((m) => Number(m[1]));
  const measured = rates.slice(1, 1 + intervals);
  if (measured.length === 0)
    throw new Error(`no periodic stats in perf output:\n${stdout}\n${stderr}`);
  const msgPerSec = measured.reduce((a, b) => a + b, 0) / measured.length;
  return rate(Math.round(msgPerSec * measured.length * interval), measured.length * interval);
}

function rate(messages: number, seconds: number): Result {
  const msgPerSec = messages / seconds;
  return { messages, seconds, msgPerSec, mbitPerSec: (msgPerSec * SIZE * 8) / 1e6 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const { serviceUrl, adminUrl } = await ensurePulsar();
// Every run writes gigabytes: its topics are deleted at the end so the bookie can reclaim them.
const topics: string[] = [];
function benchTopic(prefix: string): string {
  const t = freshTopic(prefix);
  topics.push(t);
  return t;
}
async function deleteTopics(): Promise<void> {
  for (const t of topics) {
    await fetch(`${adminUrl}/admin/v2/${t.replace('://', '/')}?force=true`, { method: 'DELETE' });
  }
}
const fmt = (r: Result) =>
  `${r.messages} msgs in ${r.seconds.toFixed(1)} s = ${Math.round(r.msgPerSec)} msg/s (${r.mbitPerSec.toFixed(0)} Mbit/s)`;
console.log(
  `payload ${SIZE} B, batching ${BATCH_MAX_MESSAGES} msgs / ${BATCH_MAX_BYTES} B / ${BATCH_DELAY_MS} ms, ` +
    `${MAX_OUTSTANDING} outstanding; each tool warms up first (ours ${WARMUP_SECONDS} s, perf its first 10 s interval)`,
);
// Rounds alternate the two tools so that load from other processes hits both alike.
const rounds: Array<{ ours: Result; perf: Result; ratio: number }> = [];
try {
  for (let i = 1; i <= ROUNDS; i++) {
    const o = await ours(serviceUrl);
    const p = await perf();
    rounds.push({ ours: o, perf: p, ratio: o.msgPerSec / p.msgPerSec });
    console.log(`round ${i}: magnetar (TypeScript): ${fmt(o)}`);
    console.log(`round ${i}: pulsar-perf (Java):    ${fmt(p)}`);
    console.log(
      `round ${i}: ratio magnetar / pulsar-perf: ${(o.msgPerSec / p.msgPerSec).toFixed(2)}`,
    );
  }
} finally {
  await deleteTopics();
  // A broker started for this run stops with it (one already running for others stays).
  await releasePulsar();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
console.log(
  `median over ${ROUNDS} round(s): magnetar ${Math.round(median(rounds.map((r) => r.ours.msgPerSec)))} msg/s, ` +
    `pulsar-perf ${Math.round(median(rounds.map((r) => r.perf.msgPerSec)))} msg/s, ` +
    `ratio ${median(rounds.map((r) => r.ratio)).toFixed(2)}`,
);
console.log(JSON.stringify({ size: SIZE, rounds }));
