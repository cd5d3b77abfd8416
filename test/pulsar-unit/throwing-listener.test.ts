// A user's event listener that throws is the user's error, as with any EventEmitter: it
// reaches the process as itself, and the client does not take it for a corrupt frame and
// drop the connection (a producer on it would go down too).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const FIXTURE = fileURLToPath(new URL('fixtures-throwing-listener.ts', import.meta.url));

test("a throwing 'endOfTopic' listener is the user's error, not a ProtocolError", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE], {
    timeout: 30_000,
  });
  assert.deepEqual(stdout.trim().split('\n'), [
    'uncaught: bug in a user listener',
    'connected: true',
  ]);
});
