// magnetar:needs-pulsar (runs its own standalone on other ports; the shared one is untouched)
//
// A process whose only work is a producer or a consumer (a worker with a listener, a script
// awaiting receive() or send()) must live through a broker restart and carry on after it,
// as a Java client's threads keep its JVM; and a process that closes its client must end
// on its own, even while the client is reconnecting.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'scripts/pulsar/cli.mjs');
const CLIENT = pathToFileURL(join(ROOT, 'src/pulsar/index.ts')).href;

// A standalone of this test's own, next to the configured one, so stopping it breaks no
// other test.
const OFFSET = 11;
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback) + OFFSET;
const PORTS = {
  broker: port('PULSAR_BROKER_PORT', 6650),
  web: port('PULSAR_WEB_PORT', 8080),
  bookie: port('PULSAR_BOOKIE_PORT', 3181),
};
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PULSAR_BROKER_PORT: String(PORTS.broker),
  PULSAR_WEB_PORT: String(PORTS.web),
  PULSAR_BOOKIE_PORT: String(PORTS.bookie),
};
const SERVICE_URL = `pulsar://127.0.0.1:${PORTS.broker}`;

function broker(command: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CLI, ...command], { env: ENV }, (err, _out, stderr) =>
      err ? reject(new Error(`cli.mjs ${command.join(' ')}: ${stderr}`)) : resolve(),
    ),
  );
}

/**
 * The child processes. Each prints what happens, one line each; none keeps its event loop
 * busy with anything but the client (no stdin, no timers; SIGUSR2 handlers hold nothing).
 */
const CHILD = `
import { PulsarClient } from ${JSON.stringify(CLIENT)};
const [role, serviceUrl, topic] = process.argv.slice(2);
const say = (line) => process.stdout.write(line + '\\n');
process.on('exit', (code) => say('exit ' + code));
const client = new PulsarClient({
  serviceUrl,
  // The closer is still waiting to retry when it is told to close.
  initialBackoffIntervalMs: role === 'closer' ? 30000 : 200,
  maxBackoffIntervalMs: role === 'closer' ? 60000 : 1000,
});
const text = (m) => m.getData().toString();
if (role === 'receiver') {
  const c = await client.subscribe({ topic, subscription: role, subscriptionInitialPosition: 'Earliest' });
  c.on('disconnected', () => say('disconnected'));
  say('ready');
  for (;;) {
    const m = await c.receive();
    await c.acknowledge(m);
    say('got ' + text(m));
    if (text(m) === 'after') break;
  }
  await client.close();
  say('closed');
} else if (role === 'listener') {
  const c = await client.subscribe({
    topic,
    subscription: role,
    subscriptionInitialPosition: 'Earliest',
    listener: async (m, consumer) => {
      await consumer.acknowledge(m);
      say('got ' + text(m));
      if (text(m) === 'after') {
        await client.close();
        say('closed');
      }
    },
  });
  c.on('disconnected', () => say('disconnected'));
  say('ready');
} else if (role === 'producer') {
  const p = await client.createProducer({ topic, sendTimeoutMs: 0 });
  p.once('disconnected', () => {
    say('disconnected');
    void p.send({ data: Buffer.from('after') }).then(async () => {
      say('sent after');
      await client.close();
      say('closed');
    });
  });
  await p.send({ data: Buffer.from('before') });
  say('ready');
} else if (role === 'closer') {
  const c = await client.subscribe({ topic, subscription: role });
  c.on('disconnected', () => say('disconnected'));
  process.on('SIGUSR2', () => void client.close().then(() => say('closed')));
  say('ready');
}
`;

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** When each line was first printed. */
  printedAt: Map<string, number>;
  exited?: { code: number | null; at: number };
}

function startChild(t: TestContext, script: string, role: string, topic: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, role, SERVICE_URL, topic], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = { proc, lines: [], printedAt: new Map() };
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    child.lines.push(...parts);
    for (const line of parts) if (!child.printedAt.has(line)) child.printedAt.set(line, Date.now());
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.on('exit', (code) => {
    child.exited = { code, at: Date.now() };
    if (code !== 0) t.diagnostic(`${role} exited ${code}: ${stderr}`);
  });
  t.after(() => {
    if (!child.exited) proc.kill('SIGKILL');
  });
  return child;
}

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const printed = (c: Child, line: string) => () => c.lines.includes(line);

test(
  'producer- and consumer-only processes live through a broker restart; a closed client lets its process end',
  { timeout: 600_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsar-keep-process-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
    await broker(['start']);
    t.after(() => broker(['stop', '--wipe']).catch(() => undefined));
    const topic = `persistent://public/default/keep-process-${Date.now()}`;

    const receiver = startChild(t, script, 'receiver', topic);
    const listener = startChild(t, script, 'listener', topic);
    const closer = startChild(t, script, 'closer', topic);
    const all = { receiver, listener, closer };
    for (const [role, c] of Object.entries(all)) await waitFor(role, printed(c, 'ready'), 60_000);
    const producer = startChild(t, script, 'producer', topic);
    await waitFor('producer ready', printed(producer, 'ready'), 60_000);
    await waitFor('receiver got before', printed(receiver, 'got before'), 30_000);
    await waitFor('listener got before', printed(listener, 'got before'), 30_000);

    await broker(['stop']);
    const withProducer = { ...all, producer };
    for (const [role, c] of Object.entries(withProducer)) {
      await waitFor(
        `${role} disconnected`,
        () => c.exited !== undefined || printed(c, 'disconnected')(),
        30_000,
      );
    }
    // Without anything holding the event loop, these processes ended right here.
    await new Promise((r) => setTimeout(r, 2000));
    for (const [role, c] of Object.entries(withProducer)) {
      assert.equal(
        c.exited,
        undefined,
        `${role} ended while the broker was down: ${c.lines.join(' | ')}`,
      );
    }

    // Closing a client that is waiting to reconnect releases the process at once.
    const told = Date.now();
    closer.proc.kill('SIGUSR2');
    await waitFor('closer exits', () => closer.exited !== undefined, 10_000);
    assert.equal(closer.exited!.code, 0);
    assert.ok(closer.exited!.at - told < 5000, `closer took ${closer.exited!.at - told} ms`);

    await broker(['start']);
    for (const [role, c] of Object.entries({ receiver, listener, producer })) {
      await waitFor(`${role} exits`, () => c.exited !== undefined, 120_000);
      assert.equal(c.exited!.code, 0, `${role}: ${c.lines.join(' | ')}`);
      const closedAt = c.printedAt.get('closed');
      assert.ok(closedAt !== undefined, `${role}: ${c.lines.join(' | ')}`);
      assert.ok(
        c.exited!.at - closedAt < 5000,
        `${role} took ${c.exited!.at - closedAt} ms to end`,
      );
    }
    assert.ok(producer.lines.includes('sent after'));
    for (const c of [receiver, listener]) {
      // An ack the broker had not stored before it stopped brings its message again.
      assert.deepEqual(
        [...new Set(c.lines.filter((l) => l.startsWith('got ')))],
        ['got before', 'got after'],
      );
    }
  },
);
