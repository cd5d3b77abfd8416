/**
 * Run as a child process by throwing-listener.test.ts: a consumer of a fake broker whose
 * 'endOfTopic' listener throws. Prints what happened, one line each: `uncaught: <message>`
 * when the error reached the process as the listener's own, `disconnected: <result>` if the
 * connection was dropped for it.
 */
import { BaseCommand_Type as T } from '../../src/pulsar/commands.js';
import { PulsarClient } from '../../src/pulsar/index.js';
import { answerConsumerSetup, FakeBroker } from './fake-broker.js';

process.on('uncaughtException', (err) => process.stdout.write(`uncaught: ${err.message}\n`));
let told = false;
const broker = await FakeBroker.start((cmd, conn) => {
  if (answerConsumerSetup(broker.url, cmd, conn)) return true;
  if (cmd.type !== T.FLOW || told) return false;
  told = true;
  conn.send({
    type: T.REACHED_END_OF_TOPIC,
    reachedEndOfTopic: { consumerId: cmd.flow!.consumerId },
  });
  return true;
});
const client = new PulsarClient({ serviceUrl: broker.url, operationTimeoutMs: 3000 });
const consumer = await client.subscribe({ topic: 'ended', subscription: 's' });
consumer.on('disconnected', (err: { result: string }) =>
  process.stdout.write(`disconnected: ${err.result}\n`),
);
consumer.on('endOfTopic', () => {
  throw new Error('bug in a user listener');
});
await new Promise((r) => setTimeout(r, 500));
process.stdout.write(`connected: ${consumer.isConnected()}\n`);
await client.close();
await broker.stop();
