import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClient, PulsarClientError } from '../../src/pulsar/index.js';
import {
  CommandLookupTopicResponse_LookupType as Lookup,
  ServerError,
  type BaseCommand,
} from '../../src/pulsar/proto/generated/PulsarApi_pb.js';
import { FakeBroker, producerSuccess, type FakeConnection } from './fake-broker.js';

/** Accepts PRODUCER with a PRODUCER_SUCCESS. */
function acceptProducer(cmd: BaseCommand, conn: FakeConnection): boolean {
  if (cmd.type !== T.PRODUCER) return false;
  conn.send(producerSuccess(cmd, 'fake-producer', 41n));
  return true;
}

function lookupAnswer(cmd: BaseCommand, conn: FakeConnection, init: Record<string, unknown>): void {
  conn.send({
    type: T.LOOKUP_RESPONSE,
    lookupTopicResponse: { requestId: cmd.lookupTopic!.requestId, ...init },
  });
}

async function started(
  t: { after(fn: () => unknown): void },
  handler: Parameters<typeof FakeBroker.start>[0],
) {
  const b = await FakeBroker.start(handler);
  t.after(() => b.stop());
  return b;
}

function clientOf(t: { after(fn: () => unknown): void }, url: string, extra = {}) {
  const client = new PulsarClient({ serviceUrl: url, operationTimeoutMs: 2000, ...extra });
  t.after(() => client.close());
  return client;
}

test('lookup follows a redirect with the authoritative flag to the owning broker', async (t) => {
  const owner = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, {
        response: Lookup.Connect,
        brokerServiceUrl: owner.url,
        authoritative: true,
      });
      return true;
    }
    return acceptProducer(cmd, conn);
  });
  const front = await started(t, (cmd, conn) => {
    if (cmd.type !== T.LOOKUP) return false;
    lookupAnswer(cmd, conn, {
      response: Lookup.Redirect,
      brokerServiceUrl: owner.url,
      authoritative: true,
    });
    return true;
  });
  const client = clientOf(t, front.url);
  const producer = await client.createProducer({ topic: 'redirected' });
  assert.equal(producer.getProducerName(), 'fake-producer');
  assert.equal(producer.getLastSequenceId(), 41n, 'sequence ids continue from last_sequence_id');
  assert.equal(front.of(T.LOOKUP)[0].lookupTopic!.authoritative, false);
  assert.equal(owner.of(T.LOOKUP)[0].lookupTopic!.authoritative, true);
  assert.equal(owner.of(T.PRODUCER).length, 1);
  assert.equal(front.of(T.PRODUCER).length, 0);
});

test('proxy_through_service_url keeps sockets on the service URL with proxy_to_broker_url', async (t) => {
  const proxy = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, {
        response: Lookup.Connect,
        brokerServiceUrl: 'pulsar://broker-behind-proxy:6650',
        proxyThroughServiceUrl: true,
      });
      return true;
    }
    return acceptProducer(cmd, conn);
  });
  const client = clientOf(t, proxy.url);
  await client.createProducer({ topic: 'proxied' });
  const connects = proxy.of(T.CONNECT).map((c) => c.connect!.proxyToBrokerUrl);
  assert.deepEqual(connects, ['', 'pulsar://broker-behind-proxy:6650']);
});

test('a failed lookup rejects with the broker error mapped to its result', async (t) => {
  const b = await started(t, (cmd, conn) => {
    if (cmd.type !== T.LOOKUP) return false;
    lookupAnswer(cmd, conn, {
      response: Lookup.Failed,
      error: ServerError.TopicNotFound,
      message: 'no such topic',
    });
    return true;
  });
  await assert.rejects(
    clientOf(t, b.url).createProducer({ topic: 'missing' }),
    (e: unknown) =>
      e instanceof PulsarClientError &&
      e.result === 'TopicNotFound' &&
      /no such topic/.test(e.message),
  );
});

test('a transient SEND_ERROR reconnects and resends with the same sequence id; a terminated topic fails the send', async (t) => {
  let firstTries = 0;
  const b = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, { response: Lookup.Connect, brokerServiceUrl: b.url });
      return true;
    }
    const send = cmd.type === T.SEND ? cmd.send! : undefined;
    const refuse = (error: ServerError, message: string) =>
      conn.send({
        type: T.SEND_ERROR,
        sendError: { producerId: send!.producerId, sequenceId: send!.sequenceId, error, message },
      });
    if (send?.sequenceId === 42n && ++firstTries === 1) {
      refuse(ServerError.PersistenceError, 'fenced');
      return true;
    }
    if (send?.sequenceId === 43n) {
      refuse(ServerError.TopicTerminatedError, 'topic terminated');
      return true;
    }
    if (send?.sequenceId === 42n) {
      conn.send({
        type: T.SEND_RECEIPT,
        sendReceipt: {
          producerId: send.producerId,
          sequenceId: 42n,
          messageId: { ledgerId: 7n, entryId: 1n },
        },
      });
      return true;
    }
    if (send) return true; // never answered
    return acceptProducer(cmd, conn);
  });
  const producer = await clientOf(t, b.url).createProducer({
    topic: 'errors',
    batchingEnabled: false,
    sendTimeoutMs: 3000,
  });
  const id = await producer.send({ data: Buffer.from('a') });
  assert.equal(firstTries, 2, 'sent again after the connection was dropped');
  assert.equal(id.entryId, 1n);
  await assert.rejects(
    producer.send({ data: Buffer.from('b') }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'TopicTerminatedError',
  );
});

test('a missing receipt rejects the send with Timeout', async (t) => {
  const b = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, { response: Lookup.Connect, brokerServiceUrl: b.url });
      return true;
    }
    if (cmd.type === T.SEND) return true; // never answered
    return acceptProducer(cmd, conn);
  });
  const producer = await clientOf(t, b.url).createProducer({
    topic: 'errors',
    batchingEnabled: false,
    sendTimeoutMs: 300,
  });
  const started_ = Date.now();
  await assert.rejects(
    producer.send({ data: Buffer.from('b') }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'Timeout',
  );
  assert.ok(Date.now() - started_ >= 250);
});

test('PING is answered with PONG; a silent broker is dropped', async (t) => {
  const b = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, { response: Lookup.Connect, brokerServiceUrl: b.url });
      conn.send({ type: T.PING, ping: {} });
      return true;
    }
    return cmd.type === T.PING; // swallow the client's pings
  });
  const client = clientOf(t, b.url, { keepAliveIntervalMs: 100 });
  const conn = await client.pool.get(b.url);
  const closed = new Promise<PulsarClientError>((r) => conn.once('close', r));
  await client.lookup.lookup('persistent://public/default/x');
  const err = await closed;
  assert.equal(err.result, 'ConnectionClosed');
  assert.ok(b.of(T.PONG).length >= 1, 'answered the broker PING');
  assert.ok(b.of(T.PING).length >= 1, 'sent keepalive PINGs');
});

test('a broker that stops answering is dropped at the first keepalive tick after an unanswered PING', async (t) => {
  let frozen = false;
  let unanswered = 0;
  const b = await started(t, (cmd, conn) => {
    if (cmd.type === T.LOOKUP) {
      lookupAnswer(cmd, conn, { response: Lookup.Connect, brokerServiceUrl: b.url });
      return true;
    }
    if (cmd.type !== T.PING) return false;
    if (frozen) unanswered++;
    else conn.send({ type: T.PONG, pong: {} });
    return true;
  });
  const client = clientOf(t, b.url, { keepAliveIntervalMs: 100 });
  const conn = await client.pool.get(b.url);
  const closed = new Promise<PulsarClientError>((r) => conn.once('close', r));
  await client.lookup.lookup('persistent://public/default/x');
  // Answered PINGs keep it open.
  await new Promise((r) => setTimeout(r, 350));
  assert.ok(b.of(T.PING).length >= 2, 'sent keepalive PINGs');
  frozen = true;
  const err = await closed;
  assert.equal(err.result, 'ConnectionClosed');
  assert.match(err.message, /no PONG/);
  assert.equal(unanswered, 1, 'closed after one unanswered PING, as the Java client');
});

test('a request with no answer times out; a dropped connection fails its pending requests', async (t) => {
  const silent = await started(t, (cmd) => cmd.type === T.LOOKUP);
  const client = clientOf(t, silent.url, { operationTimeoutMs: 300 });
  await assert.rejects(
    client.createProducer({ topic: 'nobody-answers' }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'Timeout',
  );
  const dropping = await started(t, (cmd, conn) => {
    if (cmd.type !== T.LOOKUP) return false;
    conn.socket.destroy();
    return true;
  });
  await assert.rejects(
    clientOf(t, dropping.url).createProducer({ topic: 'hang-up' }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'ConnectionClosed',
  );
});

test('a broker that refuses CONNECT fails the client with the mapped error', async (t) => {
  const b = await started(t, (cmd, conn) => {
    if (cmd.type !== T.CONNECT) return false;
    conn.send({
      type: T.ERROR,
      error: { requestId: 0n, error: ServerError.AuthenticationError, message: 'bad token' },
    });
    return true;
  });
  await assert.rejects(
    clientOf(t, b.url).createProducer({ topic: 'x' }),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'AuthenticationError',
  );
});
