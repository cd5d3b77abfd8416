import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { before, test, type TestContext } from 'node:test';
import { buildIfStale, CLI, env } from './built-cli.js';

before(buildIfStale);

interface Running {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
}

async function startCli(
  t: TestContext,
  dataDir: string,
  extra: Record<string, string> = {},
): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dataDir,
    env: env(dataDir, { PORT: '0', HOST: '127.0.0.1', ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines: Record<string, unknown>[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line; stderr: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      const m = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(entry.msg));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { child, url, lines };
}

async function stop(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  return { code, signal };
}

function mintToken(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, 'token', ...args], {
    cwd: dataDir,
    env: env(dataDir),
    encoding: 'utf8',
  });
}

test('the built CLI serves the API on a fresh data dir and exits 0 on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const logFile = join(dataDir, 'logs', 'magnetar.log');
  const svc = await startCli(t, dataDir, { LOG_FILE: logFile });

  const hint = svc.lines.find((l) => String(l.msg).startsWith('generated a JWT secret'));
  assert.ok(hint, 'first start says how to mint a token');
  assert.equal(statSync(join(dataDir, 'jwt-secret')).mode & 0o777, 0o600);

  const minted = mintToken(dataDir, [
    '--sub',
    'cli-test',
    '--scope',
    'users:write',
    '--ttl',
    '10m',
  ]);
  assert.equal(minted.status, 0, minted.stderr);
  const token = minted.stdout.trim();

  const created = await fetch(`${svc.url}/api/v1/users`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-id': 'cli-req-1',
    },
    body: JSON.stringify({ name: 'Cli', email: 'cli@example.com', age: 40 }),
  });
  assert.equal(created.status, 201);
  const id = ((await created.json()) as { data: { id: string } }).data.id;
  assert.equal((await fetch(`${svc.url}/api/v1/users/${id}`)).status, 200);
  assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);

  assert.deepEqual(await stop(svc.child), { code: 0, signal: null });
  assert.ok(svc.lines.some((l) => l.msg === 'shutdown complete'));
  const fileLines = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(fileLines.some((l) => l.requestId === 'cli-req-1' && l.msg === 'request completed'));
  assert.ok(
    fileLines.some((l) => l.msg === 'shutdown complete'),
    'the log file is flushed',
  );

  // A restart on the same data dir keeps the users and the secret.
  const again = await startCli(t, dataDir);
  const read = await fetch(`${again.url}/api/v1/users/${id}`);
  assert.equal(read.status, 200);
  const list = await fetch(`${again.url}/api/v1/users`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(list.status, 200);
  assert.equal(
    again.lines.some((l) => String(l.msg).startsWith('generated a JWT secret')),
    false,
  );
  assert.deepEqual(await stop(again.child), { code: 0, signal: null });
});

test('a bad configuration value exits non-zero naming the variable', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const res = spawnSync(process.execPath, [CLI, 'start'], {
    cwd: dataDir,
    env: env(dataDir, { PORT: 'eighty', MAGNETAR_BROKER: 'kafka' }),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(res.status, 78);
  assert.match(res.stderr, /PORT must be an integer from 0 to 65535 \(got "eighty"\)/);
  assert.match(res.stderr, /MAGNETAR_BROKER must be one of embedded, pulsar \(got "kafka"\)/);
});

// The long-running roles wait for an unreachable cluster instead (test/pipeline/pulsar-mode.test.ts).
test('a one-shot command with an unreachable Pulsar broker reports it plainly and exits 69', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const res = spawnSync(process.execPath, [CLI, 'publish', '--topic', 't', '{"a":1}'], {
    cwd: dataDir,
    env: env(dataDir, {
      LOG_LEVEL: 'silent',
      MAGNETAR_BROKER: 'pulsar',
      PULSAR_SERVICE_URL: `pulsar://127.0.0.1:${port}`,
      PULSAR_ADMIN_URL: `http://127.0.0.1:${port}`,
    }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(res.status, 69, res.stderr);
  assert.match(res.stderr, /^magnetar: broker unavailable \(\w+\): .*127\.0\.0\.1/m);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
});

test('magnetar token rejects unknown scopes and bad durations', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const scope = mintToken(dataDir, ['--sub', 'x', '--scope', 'users:write,root']);
  assert.equal(scope.status, 64);
  assert.match(scope.stderr, /unknown scope\(s\) root/);
  const ttl = mintToken(dataDir, ['--sub', 'x', '--ttl', 'forever']);
  assert.equal(ttl.status, 64);
  assert.match(ttl.stderr, /invalid duration "forever"/);
  const missing = mintToken(dataDir, []);
  assert.equal(missing.status, 64);
  assert.match(missing.stderr, /--sub/);
});

test('a port in use is reported plainly and exits 1', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = String((blocker.address() as AddressInfo).port);
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: dataDir,
    env: env(dataDir, { PORT: port, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /cannot listen: the port is already in use/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});
