// In Pulsar mode a topic the broker refuses (its namespace does not exist) is a bad argument,
// exit 64, and an error the broker answers with is a "broker error", not "broker unavailable":
// the broker is up and answered. The broker here is a fake that answers over a real socket,
// so the answer can be chosen.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import {
  CommandPartitionedTopicMetadataResponse_LookupType as MetadataType,
  ServerError,
} from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { FakeBroker } from '../pulsar-unit/fake-broker.js';
import { buildIfStale, CLI, env } from './built-cli.js';

before(buildIfStale);

/** `magnetar publish` against a fake broker that answers the topic's metadata with `error`. */
async function publishRefused(
  t: TestContext,
  error: ServerError,
  message: string,
): Promise<{ status: number | null; stderr: string }> {
  const broker = await FakeBroker.start((cmd, conn) => {
    if (cmd.type !== T.PARTITIONED_METADATA) return false;
    // The service's start-up probe is answered as usual; the user's topic is not.
    if (cmd.partitionMetadata!.topic.includes('__magnetar-probe')) return false;
    conn.send({
      type: T.PARTITIONED_METADATA_RESPONSE,
      partitionMetadataResponse: {
        requestId: cmd.partitionMetadata!.requestId,
        response: MetadataType.Failed,
        error,
        message,
      },
    });
    return true;
  });
  t.after(() => broker.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'magnetar-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [CLI, 'publish', '--topic', 'persistent://nope/x/y', '{"a":1}'],
    {
      cwd: dataDir,
      env: env(dataDir, {
        LOG_LEVEL: 'silent',
        MAGNETAR_BROKER: 'pulsar',
        PULSAR_SERVICE_URL: broker.url,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [status] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return { status, stderr };
}

test('publish to a topic in a namespace that does not exist: exit 64, saying so', async (t) => {
  const { status, stderr } = await publishRefused(
    t,
    ServerError.TopicNotFound,
    'Namespace not found',
  );
  assert.equal(status, 64, stderr);
  assert.match(stderr, /^magnetar: .*Namespace not found/m);
  assert.doesNotMatch(stderr, /broker unavailable/);
});

test('an error the broker answers with is a broker error (69), not "broker unavailable"', async (t) => {
  const { status, stderr } = await publishRefused(t, ServerError.MetadataError, 'zk session lost');
  assert.equal(status, 69, stderr);
  assert.match(stderr, /^magnetar: broker error \(Internal\): .*zk session lost/m);
});
