// The package as a user installs it: `import ... from 'magnetar'` in a project of their own
// resolves package.json's "exports" to the build (run `npm run build` first), in JavaScript and
// in TypeScript, and what it exports runs a consumer end to end on an embedded broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { REPO, userProject } from '../helpers/user-project.js';

const run = promisify(execFile);

const USER_SCRIPT = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as magnetar from 'magnetar';
const {
  defineConsumer, ConsumerRunner, ProducerPool, Publisher, createEmbeddedBroker, createBroker,
  retainingDeadLetterSink, RetryLaterError, NonRetryableError, BrokerError, PulsarClient, pulsar,
} = magnetar;
const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-user-data-'));
const broker = await createEmbeddedBroker({ dataDir });
const pool = new ProducerPool(broker);
const seen = [];
const runner = new ConsumerRunner(
  defineConsumer({
    topic: 'orders',
    subscription: 'billing',
    retry: { maxAttempts: 3, backoff: { initialMs: 20, jitter: 0 } },
    handler: async (message, ctx) => {
      if (ctx.attempt === 1) throw new RetryLaterError(10);
      seen.push(message.getData().toString() + '#' + ctx.attempt);
    },
  }),
  { broker, deadLetterSink: retainingDeadLetterSink(broker, async (t, m) => (await pool.get(t)).send(m)) },
);
await runner.start();
await (await pool.get('orders')).send({ data: Buffer.from('o1'), partitionKey: 'c1' });
const end = Date.now() + 10000;
while (seen.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
await runner.stop(1000);
await pool.close();
await broker.close();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({
  resolved: import.meta.resolve('magnetar'),
  seen,
  types: [defineConsumer, ConsumerRunner, ProducerPool, Publisher, createEmbeddedBroker, createBroker,
    RetryLaterError, NonRetryableError, BrokerError, PulsarClient, pulsar.PulsarClient].map((x) => typeof x),
  nonRetryable: new NonRetryableError('x') instanceof magnetar.MessagingError,
}));
`;

test("`import 'magnetar'` resolves to the build and runs a consumer end to end", async (t) => {
  const dir = userProject(t);
  writeFileSync(join(dir, 'app.mjs'), USER_SCRIPT);
  const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 30_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
    resolved: string;
    seen: string[];
    types: string[];
    nonRetryable: boolean;
  };
  assert.equal(fileURLToPath(out.resolved), join(REPO, 'dist/index.js'));
  assert.deepEqual(out.seen, ['o1#2']);
  assert.ok(
    out.types.every((type) => type === 'function'),
    out.types.join(),
  );
  assert.equal(out.nonRetryable, true);
});

test("TypeScript finds the package's types through its exports", async (t) => {
  const dir = userProject(t);
  writeFileSync(
    join(dir, 'app.ts'),
    `import { defineConsumer, createEmbeddedBroker, RetryLaterError, createMessagingMetrics, type ConsumerDefinitionInput, type Broker, type BrokerSettings, type MessagingMetrics } from 'magnetar';
// The embedded broker needs no Pulsar setting.
const settings: BrokerSettings = { broker: 'embedded', dataDir: '/tmp/data' };
const metrics: (registry: never) => MessagingMetrics = createMessagingMetrics;
const input: ConsumerDefinitionInput = { topic: 't', subscription: 's', handler: () => {} };
const def = defineConsumer(input);
const n: number = def.maxAttempts;
const make: (o: { dataDir: string }) => Promise<Broker> = createEmbeddedBroker;
const e: number = new RetryLaterError(5).delayMs;
// @ts-expect-error: the handler is required
defineConsumer({ topic: 't', subscription: 's' });
export { n, make, e, settings, metrics };
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [join(REPO, 'node_modules/@types')],
        types: ['node'],
      },
      files: ['app.ts'],
    }),
  );
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 }).catch(
    (err: { stdout?: string }) => assert.fail(`tsc failed:\n${err.stdout ?? String(err)}`),
  );
});

test('a packed package (npm pack) holds the build, the docs and no sources or tests', async (t) => {
  // A checkout without a build: packing must build it (prepack), as for a git dependency.
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-pack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md'])
    cpSync(join(REPO, entry), join(dir, entry));
  for (const entry of ['src', 'docs', 'test'])
    cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], {
    cwd: dir,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map(
    (f) => f.path,
  );
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'README.md'])
    assert.ok(files.includes(needed), `${needed} is packed`);
  assert.deepEqual(
    files.filter((f) => f.startsWith('src/') || f.startsWith('test/')),
    [],
    'sources and tests stay out',
  );
});
