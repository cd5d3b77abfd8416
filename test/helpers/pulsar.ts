// A real Apache Pulsar standalone for the test suites, plus Pulsar's own Java client.
//
//   ensurePulsar()   starts the project's broker through scripts/pulsar/cli.mjs if no ready
//                    broker answers on PULSAR_BROKER_PORT / PULSAR_WEB_PORT (6650 / 8080),
//                    reuses it otherwise; once per process. This process holds a lease on
//                    the broker until it exits; a broker started here keeps running after
//                    the file ends (the next file does not pay for a start) until a test run
//                    releases it (scripts/run-tests.mjs) or `npm run pulsar:stop`.
//   releasePulsar()  ends this process's lease at once (a bench's end); a broker no lease holds
//                    any more is stopped
//   freshTopic()     a topic name no other test uses: persistent://public/default/<prefix>-<random>
//   javaProduce()    sends messages with pulsar-client (Pulsar's Java CLI, a client no one here wrote)
//   javaConsume()    receives `count` messages with it, with a timeout
//   pulsarStatus()   runs `cli.mjs status` on given ports (to show it fails where no broker runs)
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface PulsarEnv {
  serviceUrl: string;
  adminUrl: string;
  brokerPort: number;
  webPort: number;
}

export type PulsarHarnessErrorCode =
  'PULSAR_HARNESS_START_FAILED' | 'PULSAR_HARNESS_JAVA_CLIENT_FAILED' | 'PULSAR_HARNESS_TIMEOUT';

export class PulsarHarnessError extends Error {
  constructor(
    readonly code: PulsarHarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PulsarHarnessError';
  }
}

const SCRIPTS = fileURLToPath(new URL('../../scripts/pulsar/', import.meta.url));
const CLI = `${SCRIPTS}cli.mjs`;
const JAVA_CLIENT = `${SCRIPTS}java-client`;

let running: Promise<PulsarEnv> | undefined;

/**
 * Ends this process's use of the broker: a broker the scripts started and no other process
 * uses is stopped. For programs that run once (benchmarks); test runs release through
 * scripts/run-tests.mjs.
 */
export function releasePulsar(): Promise<void> {
  if (running === undefined) return Promise.resolve();
  running = undefined;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'release', '--lease', String(process.pid)],
      (err, _stdout, stderr) => {
        if (err)
          reject(
            new PulsarHarnessError(
              'PULSAR_HARNESS_START_FAILED',
              `releasing the broker failed:\n${stderr.trim()}`,
              { cause: err },
            ),
          );
        else resolve();
      },
    );
  });
}

/** A ready standalone broker: started if needed (via the project script), reused if running. */
export function ensurePulsar(): Promise<PulsarEnv> {
  running ??= startOnce().catch((err: unknown) => {
    running = undefined; // let a later test try again instead of caching the failure
    throw err;
  });
  return running;
}

function startOnce(): Promise<PulsarEnv> {
  return new Promise((resolve, reject) => {
    // stdout carries one JSON line; the script's progress goes to stderr, shown on failure.
    execFile(
      process.execPath,
      [CLI, 'start', '--json', '--lease', String(process.pid)],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new PulsarHarnessError(
              'PULSAR_HARNESS_START_FAILED',
              `npm run pulsar:start failed:\n${stderr.trim()}`,
              { cause: err },
            ),
          );
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as PulsarEnv);
      },
    );
  });
}

/** 'persistent://public/default/<prefix>-<random>', unique per call. */
export function freshTopic(prefix = 'test'): string {
  return `persistent://public/default/${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export interface JavaRunOptions {
  /** Broker service URL; default: the one in the scripts' client.conf (PULSAR_BROKER_PORT). */
  serviceUrl?: string;
  /** Kill the JVM and reject after this long (default 60 s). */
  timeoutMs?: number;
}

export interface JavaProduceOptions extends JavaRunOptions {
  key?: string;
  properties?: Record<string, string>;
  /** Send each message as its own entry instead of letting the client batch them. */
  disableBatching?: boolean;
}

export interface JavaConsumeOptions extends JavaRunOptions {
  subscriptionType?: 'Exclusive' | 'Shared' | 'Failover' | 'Key_Shared';
  /** Where a new subscription starts (default Earliest, so earlier produces are seen). */
  position?: 'Earliest' | 'Latest';
}

export interface JavaMessage {
  payload: string;
  /** null when the message has no key (the Java tool prints "null" for both). */
  key: string | null;
  properties: Record<string, string>;
  publishTime: number;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function runJavaClient(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(JAVA_CLIENT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new PulsarHarnessError(
          'PULSAR_HARNESS_TIMEOUT',
          `java-client ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr.trim()}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(
        new PulsarHarnessError('PULSAR_HARNESS_JAVA_CLIENT_FAILED', String(err), { cause: err }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new PulsarHarnessError(
            'PULSAR_HARNESS_JAVA_CLIENT_FAILED',
            `java-client ${args.join(' ')} exited with ${code}\n${stdout.trim()}\n${stderr.trim()}`,
          ),
        );
    });
  });
}

function urlArgs(opts: JavaRunOptions): string[] {
  return opts.serviceUrl ? [`--url=${opts.serviceUrl}`] : [];
}

// The Java tool splits -m values on a separator (comma by default); ASCII unit separator
// keeps payloads with commas whole.
const SEPARATOR = '\u001f';

/** Produces `messages` (UTF-8 strings, in order) with Pulsar's Java CLI client. */
export async function javaProduce(
  topic: string,
  messages: string[],
  opts: JavaProduceOptions = {},
): Promise<void> {
  if (messages.some((m) => m.includes(SEPARATOR))) {
    throw new TypeError('javaProduce messages must not contain U+001F');
  }
  const args = [...urlArgs(opts), 'produce', `-s=${SEPARATOR}`, '-n=1'];
  for (const m of messages) args.push(`-m=${m}`);
  if (opts.key !== undefined) args.push(`-k=${opts.key}`);
  for (const [k, v] of Object.entries(opts.properties ?? {})) args.push(`-p=${k}=${v}`);
  if (opts.disableBatching) args.push('-db');
  args.push(topic);
  // The tool reports its count only in its log; a non-zero exit is how it reports failure.
  await runJavaClient(args, opts.timeoutMs ?? 60_000);
}

const MESSAGE_LINE =
  /^publishTime:\[(\d+)\], eventTime:\[\d+\], key:\[(.*?)\], properties:\[(.*?)\], content:(.*)$/s;

function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === '') return out;
  for (const pair of text.split(', ')) {
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Receives exactly `count` messages on `subscription` with Pulsar's Java CLI client. */
export async function javaConsume(
  topic: string,
  subscription: string,
  count: number,
  opts: JavaConsumeOptions = {},
): Promise<JavaMessage[]> {
  const args = [
    ...urlArgs(opts),
    'consume',
    `-s=${subscription}`,
    `-n=${count}`,
    `-t=${opts.subscriptionType ?? 'Exclusive'}`,
    `-p=${opts.position ?? 'Earliest'}`,
    topic,
  ];
  const { stdout } = await runJavaClient(args, opts.timeoutMs ?? 60_000);
  const blocks = stdout.split('----- got message -----\n').slice(1);
  const messages = blocks.map((block) => {
    const body = block.replace(/\n$/, '');
    const m = MESSAGE_LINE.exec(body);
    if (!m) {
      throw new PulsarHarnessError(
        'PULSAR_HARNESS_JAVA_CLIENT_FAILED',
        `unexpected java-client output: ${block}`,
      );
    }
    return {
      publishTime: Number(m[1]),
      key: m[2] === 'null' ? null : m[2],
      properties: parseProperties(m[3]),
      payload: m[4],
    };
  });
  if (messages.length !== count) {
    throw new PulsarHarnessError(
      'PULSAR_HARNESS_JAVA_CLIENT_FAILED',
      `java-client consumed ${messages.length} of ${count} messages:\n${stdout}`,
    );
  }
  return messages;
}

/** Exit code and output of `cli.mjs status` for the given ports (default: the environment's). */
export function pulsarStatus(
  ports: { brokerPort?: number; webPort?: number } = {},
): Promise<{ code: number; output: string }> {
  const env = { ...process.env };
  if (ports.brokerPort !== undefined) env.PULSAR_BROKER_PORT = String(ports.brokerPort);
  if (ports.webPort !== undefined) env.PULSAR_WEB_PORT = String(ports.webPort);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'status'], { env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** An admin REST call that must succeed. */
export async function adminCall(
  adminUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<void> {
  const res = await fetch(adminUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

/** A new namespace `public/<prefix>-...` with this topic auto-creation policy. */
export async function freshNamespace(
  adminUrl: string,
  prefix: string,
  autoTopicCreation: Record<string, unknown>,
): Promise<string> {
  const ns = `public/${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await adminCall(adminUrl, 'PUT', `/admin/v2/namespaces/${ns}`);
  await adminCall(adminUrl, 'POST', `/admin/v2/namespaces/${ns}/autoTopicCreation`, {
    ...autoTopicCreation,
  });
  return ns;
}
