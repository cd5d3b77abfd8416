// Producer throughput of Magnetar's Pulsar client next to Pulsar's own perf tool (Java),
// same settings, same standalone broker, one run:
//   npm run bench:pulsar -- [--messages 200000] [--size 1024]
// Settings for both: batching on, at most 1000 messages / 128 KiB / 10 ms per batch, at most
// 1000 messages outstanding, one producer, one non-partitioned topic, no compression.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { PulsarClient } from '../src/pulsar/index.js';
import { ensurePulsar, freshTopic } from '../test/helpers/pulsar.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    size: { type: 'string', default: '1024' },
  },
});
const MESSAGES = Number(values.messages);
const SIZE = Number(values.size);
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

async function ours(serviceUrl: string, count: number): Promise<Result> {
  const client = new PulsarClient({ serviceUrl });
  try {
    const producer = await client.createProducer({
      topic: freshTopic('bench-ours'),
      batchingEnabled: true,
      batchingMaxMessages: BATCH_MAX_MESSAGES,
      batchingMaxBytes: BATCH_MAX_BYTES,
      batchingMaxPublishDelayMs: BATCH_DELAY_MS,
      maxPendingMessages: MAX_OUTSTANDING,
    });
    const payload = Buffer.alloc(SIZE, 0x61);
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let done = 0;
      let inFlight = 0;
      const pump = () => {
        while (inFlight < MAX_OUTSTANDING && sent < count) {
          inFlight++;
          sent++;
          producer.send({ data: payload }).then(() => {
            inFlight--;
            if (++done === count) resolve();
            else pump();
          }, reject);
        }
      };
      pump();
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await producer.close();
    return rate(count, seconds);
  } finally {
    await client.close();
  }
}

async function perf(count: number): Promise<Result> {
  const args = [
    'produce',
    ...['-m', String(count), '-r', '10000000', '-s', String(SIZE)],
    ...['-o', String(MAX_OUTSTANDING), '-bm', String(BATCH_MAX_MESSAGES)],
    ...['-bb', String(BATCH_MAX_BYTES), '-b', String(BATCH_DELAY_MS)],
    freshTopic('bench-perf'),
  ];
  const { stdout, stderr } = await promisify(execFile)(PERF, args, {
    maxBuffer: 64 << 20,
    timeout: 600_000,
  });
  const line = /Aggregated throughput stats --- (\d+) records sent --- ([\d.]+) msg\/s/.exec(
    stdout + stderr,
  );
  if (!line) throw new Error(`no aggregated stats in perf output:\n${stdout}\n${stderr}`);
  const sent = Number(line[1]);
  const msgPerSec = Number(line[2]);
  return rate(sent, sent / msgPerSec);
}

function rate(messages: number, seconds: number): Result {
  const msgPerSec = messages / seconds;
  return { messages, seconds, msgPerSec, mbitPerSec: (msgPerSec * SIZE * 8) / 1e6 };
}

const { serviceUrl } = await ensurePulsar();
await ours(serviceUrl, Math.min(20_000, MESSAGES)); // warm up JIT, connection, topic ownership
const oursResult = await ours(serviceUrl, MESSAGES);
const perfResult = await perf(MESSAGES);
const fmt = (r: Result) =>
  `${r.messages} msgs in ${r.seconds.toFixed(2)} s = ${Math.round(r.msgPerSec)} msg/s (${r.mbitPerSec.toFixed(0)} Mbit/s)`;
console.log(
  `payload ${SIZE} B, batching ${BATCH_MAX_MESSAGES} msgs / ${BATCH_MAX_BYTES} B / ${BATCH_DELAY_MS} ms, ${MAX_OUTSTANDING} outstanding`,
);
console.log(`magnetar (TypeScript): ${fmt(oursResult)}`);
console.log(`pulsar-perf (Java):    ${fmt(perfResult)}`);
console.log(
  `ratio magnetar / pulsar-perf: ${(oursResult.msgPerSec / perfResult.msgPerSec).toFixed(2)}`,
);
console.log(JSON.stringify({ size: SIZE, ours: oursResult, perf: perfResult }));
