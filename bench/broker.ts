/**
 * Embedded broker benchmark: publish throughput (one producer, 256-byte payloads, many sends
 * in flight), publish+consume+ack throughput, and publish latency.
 *
 *   npm run bench:broker -- [--messages 300000] [--size 256] [--in-flight 5000] [--sync FULL|NORMAL|both]
 *
 * Each run uses a fresh data dir under the OS temp dir, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedBroker, type Broker } from '../src/broker/index.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '300000' },
    size: { type: 'string', default: '256' },
    'in-flight': { type: 'string', default: '5000' },
    sync: { type: 'string', default: 'both' },
  },
});
const MESSAGES = Number(values.messages);
const SIZE = Number(values.size);
const IN_FLIGHT = Number(values['in-flight']);
const SYNC_MODES = (values.sync === 'both' ? ['FULL', 'NORMAL'] : [values.sync]) as Array<
  'FULL' | 'NORMAL'
>;
const payload = Buffer.alloc(SIZE, 0x61);

async function withBroker<T>(
  synchronous: 'FULL' | 'NORMAL',
  fn: (b: Broker) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-bench-'));
  const broker = await createEmbeddedBroker({ dataDir, synchronous });
  try {
    return await fn(broker);
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Keeps `inFlight` sends outstanding until `count` are done; returns msg/s and latencies. */
async function publishRun(broker: Broker, topic: string, count: number, inFlight: number) {
  const producer = await broker.createProducer({ topic, maxPendingMessages: 0 });
  const latencies = new Float64Array(count);
  let next = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await producer.send({ data: payload });
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await producer.close();
  latencies.sort();
  return {
    rate: count / seconds,
    cpuRate: count / ((cpu.user + cpu.system) / 1e6),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function endToEnd(broker: Broker, topic: string, count: number, inFlight: number) {
  const consumer = await broker.subscribe({
    topic,
    subscription: 'bench',
    subscriptionType: 'Shared',
    receiverQueueSize: 1000,
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const consumed = (async () => {
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      const m = await consumer.receive();
      last = consumer.acknowledge(m);
    }
    await last;
  })();
  await publishRun(broker, topic, count, inFlight);
  await consumed;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await consumer.close();
  return { rate: count / seconds, cpuRate: count / ((cpu.user + cpu.system) / 1e6) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `embedded broker bench: ${fmt(MESSAGES)} messages of ${SIZE} B, ${IN_FLIGHT} sends in flight, node ${process.version}`,
);
// CPU-seconds (this process, all threads) are less sensitive than wall time to other load.
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} CPUs`,
);
for (const sync of SYNC_MODES) {
  // Warm-up: JIT and SQLite page cache.
  await withBroker(sync, (b) => publishRun(b, 'warmup', 20_000, IN_FLIGHT));
  const pub = await withBroker(sync, (b) => publishRun(b, 'publish', MESSAGES, IN_FLIGHT));
  const one = await withBroker(sync, (b) => publishRun(b, 'latency', 2000, 1));
  const e2e = await withBroker(sync, (b) => endToEnd(b, 'e2e', MESSAGES, IN_FLIGHT));
  console.log(`synchronous=${sync}`);
  console.log(
    `  publish              ${fmt(pub.rate)} msg/s (${fmt(pub.cpuRate)} per CPU-second); latency under load p50 ${pub.p50.toFixed(2)} ms, p99 ${pub.p99.toFixed(2)} ms`,
  );
  console.log(
    `  publish, 1 in flight latency p50 ${one.p50.toFixed(3)} ms, p99 ${one.p99.toFixed(3)} ms`,
  );
  console.log(`  publish+consume+ack  ${fmt(e2e.rate)} msg/s (${fmt(e2e.cpuRate)} per CPU-second)`);
}
