import net from 'node:net';
import {
  BaseCommand_Type as T,
  decodeCommand,
  encodeSimpleFrame,
  type BaseCommandInit,
} from '../../src/pulsar/commands.js';
import { FrameDecoder, type Frame } from '../../src/pulsar/frame-decoder.js';
import { PulsarClient } from '../../src/pulsar/client.js';
import type { ClientOptions } from '../../src/pulsar/options.js';
import {
  CommandLookupTopicResponse_LookupType,
  type BaseCommand,
} from '../../src/pulsar/proto/generated/PulsarApi_pb.js';

export interface FakeConnection {
  socket: net.Socket;
  send(init: BaseCommandInit): void;
}

/** What the fake does with one command; return true when handled. */
export type Handler = (cmd: BaseCommand, conn: FakeConnection, frame: Frame) => boolean | void;

/**
 * A broker that speaks just enough of the protocol over a real socket to drive the client
 * into situations a standalone broker will not produce on demand (redirects, errors,
 * silence, corrupt frames). It answers CONNECT, PING and PARTITIONED_METADATA (0 partitions)
 * itself unless `handler` handled them; everything else goes to `handler`.
 */
export class FakeBroker {
  readonly received: BaseCommand[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly handler: Handler) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  static async start(handler: Handler): Promise<FakeBroker> {
    const b = new FakeBroker(handler);
    await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', () => r()));
    return b;
  }

  get url(): string {
    return `pulsar://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  of(type: T): BaseCommand[] {
    return this.received.filter((c) => c.type === type);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    const conn: FakeConnection = { socket, send: (init) => socket.write(encodeSimpleFrame(init)) };
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const cmd = decodeCommand(frame.command);
        this.received.push(cmd);
        if (this.handler(cmd, conn, frame)) continue;
        if (cmd.type === T.CONNECT) {
          conn.send({
            type: T.CONNECTED,
            connected: { serverVersion: 'fake', protocolVersion: 21 },
          });
        } else if (cmd.type === T.PARTITIONED_METADATA) {
          // Every topic is non-partitioned here, unless the handler says otherwise.
          conn.send({
            type: T.PARTITIONED_METADATA_RESPONSE,
            partitionMetadataResponse: {
              requestId: cmd.partitionMetadata!.requestId,
              partitions: 0,
            },
          });
        } else if (cmd.type === T.PING) {
          // As a real broker does; a handler returning true for PING plays a frozen one.
          conn.send({ type: T.PONG, pong: {} });
        }
      }
    });
  }
}

/**
 * Answers what a consumer needs before messages flow, as the broker at `ownUrl`: LOOKUP
 * (connect here), SUBSCRIBE and CLOSE_CONSUMER (success). Returns true when it answered.
 */
export function answerConsumerSetup(
  ownUrl: string,
  cmd: BaseCommand,
  conn: FakeConnection,
): boolean {
  if (cmd.type === T.LOOKUP) {
    conn.send({
      type: T.LOOKUP_RESPONSE,
      lookupTopicResponse: {
        requestId: cmd.lookupTopic!.requestId,
        response: CommandLookupTopicResponse_LookupType.Connect,
        brokerServiceUrl: ownUrl,
      },
    });
  } else if (cmd.type === T.SUBSCRIBE) {
    conn.send({ type: T.SUCCESS, success: { requestId: cmd.subscribe!.requestId } });
  } else if (cmd.type === T.CLOSE_CONSUMER) {
    conn.send({ type: T.SUCCESS, success: { requestId: cmd.closeConsumer!.requestId } });
  } else return false;
  return true;
}

/** The PRODUCER_SUCCESS answering `cmd` (a PRODUCER). */
export function producerSuccess(
  cmd: BaseCommand,
  producerName = 'p',
  lastSequenceId = -1n,
): BaseCommandInit {
  return {
    type: T.PRODUCER_SUCCESS,
    producerSuccess: { requestId: cmd.producer!.requestId, producerName, lastSequenceId },
  };
}

/** Stores a SEND at once: its receipt, with entry id = the sequence id (ledger 1). */
export function receiptFor(cmd: BaseCommand, conn: FakeConnection): void {
  const { producerId, sequenceId } = cmd.send!;
  conn.send({
    type: T.SEND_RECEIPT,
    sendReceipt: { producerId, sequenceId, messageId: { ledgerId: 1n, entryId: sequenceId } },
  });
}

/**
 * Answers what a producer needs around its sends: PRODUCER (success, as a new producer
 * named 'p') and CLOSE_PRODUCER (success). Returns true when it answered.
 */
export function answerProducerSetup(cmd: BaseCommand, conn: FakeConnection): boolean {
  if (cmd.type === T.PRODUCER) {
    conn.send(producerSuccess(cmd));
  } else if (cmd.type === T.CLOSE_PRODUCER) {
    conn.send({ type: T.SUCCESS, success: { requestId: cmd.closeProducer!.requestId } });
  } else return false;
  return true;
}

/**
 * A client of the fake broker. After the test it lets go of its socket first, then the broker
 * stops (after-hooks run in the order they were added).
 */
export function clientOf(
  t: { after(fn: () => unknown): void },
  broker: FakeBroker,
  options: Omit<ClientOptions, 'serviceUrl'> = {},
): PulsarClient {
  const client = new PulsarClient({ ...options, serviceUrl: broker.url });
  t.after(() => client.close());
  t.after(() => broker.stop());
  return client;
}
