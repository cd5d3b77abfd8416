// Token authentication and TLS against a real Pulsar standalone of this file's own, started
// through the harness with PULSAR_AUTH_TOKEN_SECRET_KEY and PULSAR_TLS_* on ports no other
// test uses, and stopped (by pid) and wiped when the file ends.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AuthenticationToken,
  PulsarClient,
  PulsarClientError,
  tlsTransport,
  type ClientOptions,
} from '../../src/pulsar/index.js';
import { freshTopic } from '../helpers/pulsar.js';
// @ts-expect-error: a plain ES module of the harness, without type declarations.
import { hs256Token } from '../../scripts/pulsar/security.mjs';
import { makeTestPki } from './tls-certs.js';

const SCRIPTS = fileURLToPath(new URL('../../scripts/pulsar/', import.meta.url));
const PORTS = { broker: 6950, web: 8380, bookie: 3481, tls: 6951 };
const SERVICE_URL = `pulsar://127.0.0.1:${PORTS.broker}`;
const TLS_SERVICE_URL = `pulsar+ssl://127.0.0.1:${PORTS.tls}`;

const pki = makeTestPki();
const secretFile = join(pki.dir, 'token-secret.key');
// Raw key bytes, as `pulsar tokens create-secret-key --output` writes them.
const secret = randomBytes(32);
writeFileSync(secretFile, secret);
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PULSAR_BROKER_PORT: String(PORTS.broker),
  PULSAR_WEB_PORT: String(PORTS.web),
  PULSAR_BOOKIE_PORT: String(PORTS.bookie),
  PULSAR_TLS_PORT: String(PORTS.tls),
  PULSAR_AUTH_TOKEN_SECRET_KEY: secretFile,
  // Expired tokens are challenged within a second, so the refresh test is short.
  PULSAR_AUTH_REFRESH_CHECK_SECONDS: '1',
  PULSAR_TLS_CERT: join(pki.dir, 'server.pem'),
  PULSAR_TLS_KEY: join(pki.dir, 'server.key'),
};

const token = (role: string, expiresAt?: number, key: Buffer = secret): string =>
  hs256Token(key, role, expiresAt) as string;

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000) {
  return new Promise<string>((resolve, reject) =>
    execFile(file, args, { env, timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}
const cli = (args: string[]) => run(process.execPath, [join(SCRIPTS, 'cli.mjs'), ...args], ENV);

before(async () => {
  // A broker left on these ports by an interrupted run has another secret key: replace it.
  await cli(['stop', '--wipe']);
  await cli(['start']);
});
after(async () => {
  await cli(['stop', '--wipe']).catch(() => undefined);
  pki.cleanup();
});

function client(t: { after(fn: () => Promise<void>): void }, options: Partial<ClientOptions>) {
  const c = new PulsarClient({ serviceUrl: SERVICE_URL, operationTimeoutMs: 10_000, ...options });
  t.after(() => c.close());
  return c;
}

async function roundTrip(c: PulsarClient, payload: string): Promise<string> {
  const topic = freshTopic('auth-tls');
  const consumer = await c.subscribe({ topic, subscription: 's' });
  const producer = await c.createProducer({ topic });
  await producer.send({ data: Buffer.from(payload) });
  const m = await consumer.receive(10_000);
  await consumer.acknowledge(m);
  return m.getData().toString();
}

/** Rejects with a PulsarClientError of `result`, within `withinMs`; returns the error. */
async function failsWith(
  attempt: Promise<unknown>,
  result: string,
  withinMs: number,
): Promise<PulsarClientError> {
  const started = Date.now();
  const err = await attempt.then(
    () => assert.fail(`expected ${result}, but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PulsarClientError, `not a PulsarClientError: ${String(err)}`);
  assert.equal(err.result, result, err.message);
  const ms = Date.now() - started;
  assert.ok(ms < withinMs, `took ${ms} ms`);
  return err;
}

test('a valid token: produce and consume through the authenticated broker', async (t) => {
  const c = client(t, { authentication: new AuthenticationToken(token('app')) });
  assert.equal(await roundTrip(c, 'with a token'), 'with a token');
});

test('a token from a function source is read at connect time', async (t) => {
  const c = client(t, { authentication: new AuthenticationToken(async () => token('app')) });
  assert.equal(await roundTrip(c, 'rotating'), 'rotating');
});

test('a token read from a file, trailing newline included, authenticates', async (t) => {
  // What `pulsar tokens create > token.txt` and most secret mounts leave behind.
  const tokenFile = join(pki.dir, 'app.token');
  writeFileSync(tokenFile, `${token('app')}\n`);
  const c = client(t, {
    authentication: new AuthenticationToken(() => readFileSync(tokenFile, 'utf8')),
  });
  assert.equal(await roundTrip(c, 'from a token file'), 'from a token file');
});

test('a short-lived token is refreshed through AUTH_CHALLENGE without reconnecting', async (t) => {
  let issued = 0;
  // Every token lives 3 s; the broker challenges once one has expired.
  const source = () => {
    issued++;
    return token('app', Math.floor(Date.now() / 1000) + 3);
  };
  const c = client(t, { authentication: new AuthenticationToken(source) });
  const topic = freshTopic('auth-refresh');
  const producer = await c.createProducer({ topic, batchingEnabled: false });
  const stats = async () => {
    const res = await fetch(
      `http://127.0.0.1:${PORTS.web}/admin/v2/persistent/${topic.slice('persistent://'.length)}/stats`,
      {
        headers: { Authorization: `Bearer ${token('magnetar-admin')}` },
      },
    );
    assert.equal(res.status, 200);
    return (await res.json()) as { publishers: Array<{ connectedSince: string }> };
  };
  const before = (await stats()).publishers[0].connectedSince;
  const issuedAtStart = issued;
  const until = Date.now() + 7000;
  for (let i = 0; Date.now() < until; i++) {
    await producer.send({ data: Buffer.from(`m-${i}`) });
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(issued > issuedAtStart, 'the broker never challenged the token');
  assert.ok(producer.isConnected());
  assert.equal((await stats()).publishers[0].connectedSince, before, 'the producer reconnected');
});

/** Polls `cond` (a ref'd timer: the client's reconnect backoff does not hold the process). */
async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a refreshed token the broker rejects drops the connection; a valid one brings it back', async (t) => {
  let current = token('app', Math.floor(Date.now() / 1000) + 2);
  const c = client(t, { authentication: new AuthenticationToken(() => current) });
  const topic = freshTopic('auth-rotate');
  const producer = await c.createProducer({ topic, batchingEnabled: false });
  const failures: unknown[] = [];
  let reconnected = false;
  producer.on('reconnectFailed', (err: unknown) => failures.push(err));
  producer.on('reconnected', () => (reconnected = true));
  // Once the 2-second token expires the broker challenges; the answer is signed with a key
  // the broker does not know, so it closes the connection and new CONNECTs are refused.
  current = token('app', undefined, randomBytes(32));
  await waitFor('a rejected reconnection', () => failures.length > 0, 15_000);
  const first = failures[0];
  assert.ok(first instanceof PulsarClientError, String(first));
  assert.equal(first.result, 'AuthenticationError', first.message);
  assert.ok(!reconnected);
  current = token('app');
  await waitFor('the reconnection with a valid token', () => reconnected, 15_000);
  await producer.send({ data: Buffer.from('after rotation') });
});

test('no token: AuthenticationError, not a hang', async (t) => {
  const c = client(t, {});
  const err = await failsWith(
    c.createProducer({ topic: freshTopic('no-token') }),
    'AuthenticationError',
    5000,
  );
  assert.match(err.message, /auth/i);
});

test('a token signed with another key: AuthenticationError', async (t) => {
  const forged = token('superuser-wannabe', undefined, randomBytes(32));
  const c = client(t, { authentication: new AuthenticationToken(forged) });
  await failsWith(
    c.subscribe({ topic: freshTopic('forged'), subscription: 's' }),
    'AuthenticationError',
    5000,
  );
});

test('an expired token: AuthenticationError', async (t) => {
  const expired = token('app', Math.floor(Date.now() / 1000) - 60);
  const c = client(t, { authentication: new AuthenticationToken(expired) });
  await failsWith(c.createProducer({ topic: freshTopic('expired') }), 'AuthenticationError', 5000);
});

test('pulsar+ssl:// with the CA and a token: a round trip over the TLS port', async (t) => {
  const c = client(t, {
    serviceUrl: TLS_SERVICE_URL,
    transport: tlsTransport({ trustCertsFilePath: pki.caPath }),
    authentication: new AuthenticationToken(token('app')),
  });
  assert.equal(await roundTrip(c, 'over tls'), 'over tls');
});

test('pulsar+ssl:// without the CA: a ConnectError naming the certificate problem', async (t) => {
  const c = client(t, {
    serviceUrl: TLS_SERVICE_URL,
    operationTimeoutMs: 3000,
    authentication: new AuthenticationToken(token('app')),
  });
  const err = await failsWith(
    c.createProducer({ topic: freshTopic('untrusted') }),
    'ConnectError',
    8000,
  );
  // The reason is in the message itself, not only in `cause`.
  assert.match(err.message, /unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF/);
});

const javaClient = (args: string[]) =>
  run(
    join(SCRIPTS, 'java-client'),
    [
      '--auth-plugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
      `--auth-params=token:${token('java-app')}`,
      ...args,
    ],
    // Only the ports: the credentials are the ones on the command line, not the harness's.
    {
      ...process.env,
      PULSAR_BROKER_PORT: ENV.PULSAR_BROKER_PORT,
      PULSAR_WEB_PORT: ENV.PULSAR_WEB_PORT,
      PULSAR_BOOKIE_PORT: ENV.PULSAR_BOOKIE_PORT,
    },
    60_000,
  );

test("Pulsar's Java client with a token, over TLS, to ours over TLS", async (t) => {
  const c = client(t, {
    serviceUrl: TLS_SERVICE_URL,
    transport: tlsTransport({ ca: pki.caPem }),
    authentication: new AuthenticationToken(token('app')),
  });
  const topic = freshTopic('auth-tls-java');
  const consumer = await c.subscribe({ topic, subscription: 's' });
  await javaClient([
    `--url=${TLS_SERVICE_URL}`,
    `--tlsTrustCertsFilePath=${pki.caPath}`,
    'produce',
    '-m=from java over tls',
    '-n=1',
    topic,
  ]);
  const m = await consumer.receive(10_000);
  assert.equal(m.getData().toString(), 'from java over tls');
});

test("Pulsar's Java client with a token reads what ours produced", async (t) => {
  const c = client(t, { authentication: new AuthenticationToken(token('app')) });
  const topic = freshTopic('auth-java');
  const producer = await c.createProducer({ topic });
  await producer.send({ data: Buffer.from('from typescript') });
  const stdout = await javaClient([
    `--url=${SERVICE_URL}`,
    'consume',
    '-s=java',
    '-n=1',
    '-p=Earliest',
    topic,
  ]);
  assert.match(stdout, /content:from typescript/);
});
