// The project's Pulsar standalone is a real broker: Pulsar's own Java client produces to it
// and consumes back, and the readiness check fails where no broker runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  ensurePulsar,
  freshTopic,
  javaConsume,
  javaProduce,
  PulsarHarnessError,
  pulsarStatus,
} from '../helpers/pulsar.js';

/** A loopback port nothing listens on (bound, then released). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') throw new TypeError('no port');
      srv.close(() => resolve(addr.port));
    });
  });
}

// The Java client runs take seconds each (a JVM per call); they run side by side.
describe('the project Pulsar standalone', { concurrency: true }, () => {
  it('the standalone answers as cluster "standalone" with namespace public/default', async () => {
    const env = await ensurePulsar();
    assert.match(env.serviceUrl, /^pulsar:\/\/127\.0\.0\.1:\d+$/);
    const clusters = await (await fetch(`${env.adminUrl}/admin/v2/clusters`)).json();
    assert.deepEqual(clusters, ['standalone']);
    const namespaces = await (await fetch(`${env.adminUrl}/admin/v2/namespaces/public`)).json();
    assert.ok((namespaces as string[]).includes('public/default'));
    const status = await pulsarStatus({ brokerPort: env.brokerPort, webPort: env.webPort });
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /^ready: /);
  });

  it('Pulsar Java client produces and consumes back through the broker', async () => {
    const env = await ensurePulsar();
    const topic = freshTopic('java-roundtrip');
    const sent = ['first', 'with, commas', 'ünïcödé ✓'];
    await javaProduce(topic, sent, {
      serviceUrl: env.serviceUrl,
      key: 'user-42',
      properties: { origin: 'harness', n: '3' },
    });
    const got = await javaConsume(topic, 'harness', sent.length, { serviceUrl: env.serviceUrl });
    assert.deepEqual(
      got.map((m) => m.payload),
      sent,
    );
    for (const m of got) {
      assert.equal(m.key, 'user-42');
      assert.deepEqual(m.properties, { origin: 'harness', n: '3' });
      assert.ok(m.publishTime > 0);
    }
  });

  it('a shared subscription sees messages produced after it was created, not before', async () => {
    const env = await ensurePulsar();
    const topic = freshTopic('java-latest');
    await javaProduce(topic, ['before'], { serviceUrl: env.serviceUrl });
    const consuming = javaConsume(topic, 'late', 1, {
      serviceUrl: env.serviceUrl,
      subscriptionType: 'Shared',
      position: 'Latest',
    });
    // The consumer JVM needs a moment to subscribe; produce until it has taken one message.
    let received: Awaited<typeof consuming> | undefined;
    consuming.then((r) => (received = r)).catch(() => undefined);
    for (let i = 0; received === undefined && i < 20; i++) {
      await javaProduce(topic, [`after-${i}`], { serviceUrl: env.serviceUrl });
      await new Promise((r) => setTimeout(r, 1000));
    }
    const [msg] = await consuming;
    assert.match(msg.payload, /^after-\d+$/);
  });

  it('deduplication is available per namespace', async (t) => {
    const { adminUrl } = await ensurePulsar();
    const ns = `public/dedup-${Date.now().toString(36)}`;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${adminUrl}/admin/v2/namespaces/${ns}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal((await call('PUT', '')).status, 204);
    t.after(async () => {
      await call('DELETE', '?force=true');
    });
    assert.equal((await call('POST', '/deduplication', true)).status, 204);
    assert.equal(await (await call('GET', '/deduplication')).json(), true);
  });

  it('status fails where no broker runs', async () => {
    const port = await unusedPort();
    const status = await pulsarStatus({ brokerPort: port, webPort: port });
    assert.equal(status.code, 1, status.output);
    assert.match(status.output, new RegExp(`not ready at http://127\\.0\\.0\\.1:${port}`));
  });

  it('the Java client wrapper reports failure when no broker is there', async () => {
    const port = await unusedPort();
    await assert.rejects(
      javaProduce(freshTopic('dead'), ['x'], {
        serviceUrl: `pulsar://127.0.0.1:${port}`,
        timeoutMs: 90_000,
      }),
      (err: unknown) => err instanceof PulsarHarnessError && /exited with/.test(err.message),
    );
  });
});
