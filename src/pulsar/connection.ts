import { isFieldSet } from '@bufbuild/protobuf';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  BaseCommand_Type as T,
  commandName,
  decodeCommand,
  encodePayloadFrame,
  encodeSimpleFrame,
  type BaseCommandInit,
  type MessageMetadataInit,
} from './commands.js';
import { PulsarClientError, serverError } from './errors.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  FRAME_HEADROOM,
  FrameDecoder,
  type PayloadSection,
} from './frame-decoder.js';
import {
  CommandAckResponseSchema,
  type BaseCommand,
  type CommandMessage,
  type CommandSendError,
  type CommandSendReceipt,
  type MessageMetadata,
} from './proto/generated/PulsarApi_pb.js';
import type { TransportFactory, TransportTarget } from './transport.js';

import { CLIENT_VERSION, handshake, PROTOCOL_VERSION, toBytes } from './handshake.js';

export { CLIENT_VERSION, PROTOCOL_VERSION };

/** The body each command this client acts on must carry; without it the frame is corrupt. */
const BODIES: Partial<Record<T, keyof BaseCommand>> = {
  [T.MESSAGE]: 'message',
  [T.SEND_RECEIPT]: 'sendReceipt',
  [T.SEND_ERROR]: 'sendError',
  [T.SUCCESS]: 'success',
  [T.PRODUCER_SUCCESS]: 'producerSuccess',
  [T.LOOKUP_RESPONSE]: 'lookupTopicResponse',
  [T.PARTITIONED_METADATA_RESPONSE]: 'partitionMetadataResponse',
  [T.GET_LAST_MESSAGE_ID_RESPONSE]: 'getLastMessageIdResponse',
  [T.ACK_RESPONSE]: 'ackResponse',
  [T.ERROR]: 'error',
  [T.CLOSE_PRODUCER]: 'closeProducer',
  [T.CLOSE_CONSUMER]: 'closeConsumer',
  [T.ACTIVE_CONSUMER_CHANGE]: 'activeConsumerChange',
  [T.REACHED_END_OF_TOPIC]: 'reachedEndOfTopic',
};

/**
 * The name of the part `cmd` lacks, if its type needs it: its body, or a message's id. The
 * decoder does not check required fields, and the handlers read these without a guard.
 */
function missingBody(cmd: BaseCommand): string | undefined {
  const body = BODIES[cmd.type];
  if (body !== undefined && cmd[body] === undefined) return body;
  if (cmd.type === T.MESSAGE && cmd.message!.messageId === undefined) return 'message id';
  return undefined;
}

export interface Authentication {
  /** Pulsar's auth method name, e.g. `token`. */
  readonly methodName: string;
  /** Credentials for CONNECT and for answering AUTH_CHALLENGE (called again each time). */
  getData(): Promise<string | Uint8Array> | string | Uint8Array;
}

export interface ConnectionOptions {
  /** Where the socket goes (the broker itself, or the proxy/service URL). */
  target: TransportTarget;
  /** Set when connecting through a proxy: the broker the proxy must forward to. */
  proxyToBrokerUrl?: string;
  transport: TransportFactory;
  connectionTimeoutMs: number;
  operationTimeoutMs: number;
  keepAliveIntervalMs: number;
  /** PING interval while the broker is not answering (after a timeout). Default 1000. */
  probeIntervalMs?: number;
  authentication?: Authentication;
}

const DEFAULT_PROBE_INTERVAL_MS = 1000;

/** Receives what the broker sends for one producer id. */
export interface ProducerHandler {
  onSendReceipt(receipt: CommandSendReceipt): void;
  onSendError(error: CommandSendError): void;
  /** The broker closed the producer (topic unloaded, moved); the hook for reconnection. */
  onClosedByBroker(): void;
  onConnectionClosed(error: PulsarClientError): void;
}

/** Receives what the broker sends for one consumer id. */
export interface ConsumerHandler {
  onMessage(message: CommandMessage, payload: PayloadSection | undefined): void;
  onActiveConsumerChange(isActive: boolean): void;
  onReachedEndOfTopic(): void;
  onClosedByBroker(): void;
  onConnectionClosed(error: PulsarClientError): void;
}

interface Pending {
  resolve(cmd: BaseCommand): void;
  reject(err: PulsarClientError): void;
  timer: NodeJS.Timeout;
  what: string;
}

/**
 * One TCP connection to a broker: CONNECT handshake, request-id -> pending map, the
 * producer and consumer handlers registered on it, PING/PONG keepalive and close handling.
 * Emits 'close' (PulsarClientError) once.
 *
 * A broker process that freezes (stopped, stuck in GC) keeps its TCP connection open, so
 * only the keepalive would notice, after up to twice its interval. A request or send that
 * times out therefore makes the connection suspect: it PINGs at once, then every
 * probeIntervalMs, and until any frame arrives `unansweredSince` says since when the broker
 * has not answered (emitting 'unanswered', then 'answering' when it does again). The
 * connection itself stays open: a broker that resumes needs no reconnection.
 */
export class Connection extends EventEmitter {
  readonly maxMessageSize: number;
  readonly serverVersion: string;
  readonly protocolVersion: number;
  private readonly pending = new Map<bigint, Pending>();
  private readonly producers = new Map<bigint, ProducerHandler>();
  private readonly consumers = new Map<bigint, ConsumerHandler>();
  private nextRequestId = 0n;
  private closedError: PulsarClientError | undefined;
  /** Nothing came from the broker since the last keepalive PING was sent. */
  private silentSincePing = false;
  private keepAlive: NodeJS.Timeout | undefined;
  private probe: NodeJS.Timeout | undefined;
  private suspectSince: number | undefined;

  private constructor(
    private readonly socket: Duplex,
    private readonly decoder: FrameDecoder,
    private readonly options: ConnectionOptions,
    connected: BaseCommand['connected'],
  ) {
    super();
    this.serverVersion = connected?.serverVersion ?? '';
    this.protocolVersion = connected?.protocolVersion ?? 0;
    this.maxMessageSize = connected?.maxMessageSize || DEFAULT_MAX_MESSAGE_SIZE;
    decoder.maxFrameSize = this.maxMessageSize + FRAME_HEADROOM;
  }

  /** Opens the transport and completes the CONNECT / CONNECTED handshake. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const socket = await options.transport(options.target, options.connectionTimeoutMs);
    const decoder = new FrameDecoder();
    try {
      const connected = await handshake(socket, decoder, options);
      const conn = new Connection(socket, decoder, options, connected.connected);
      conn.attach();
      return conn;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Epoch ms since which the broker has not answered (a request or send on this connection
   * timed out, and no frame arrived since); undefined while it answers or once closed.
   */
  get unansweredSince(): number | undefined {
    return this.closedError ? undefined : this.suspectSince;
  }

  /**
   * Something sent on this connection got no answer in time: probe the broker with PINGs
   * until it answers. A broker that merely was slow answers the first PING at once.
   */
  suspect(): void {
    if (this.closedError || this.suspectSince !== undefined) return;
    this.suspectSince = Date.now();
    this.safeSend({ type: T.PING, ping: {} });
    this.probe = setInterval(
      () => this.safeSend({ type: T.PING, ping: {} }),
      this.options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
    );
    this.probe.unref();
    this.emit('unanswered', this.suspectSince);
  }

  get address(): string {
    return this.options.proxyToBrokerUrl ?? this.options.target.url;
  }

  newRequestId(): bigint {
    return this.nextRequestId++;
  }

  registerProducer(id: bigint, handler: ProducerHandler): void {
    this.producers.set(id, handler);
  }

  unregisterProducer(id: bigint): void {
    this.producers.delete(id);
  }

  registerConsumer(id: bigint, handler: ConsumerHandler): void {
    this.consumers.set(id, handler);
  }

  unregisterConsumer(id: bigint): void {
    this.consumers.delete(id);
  }

  /** Sends a command carrying `requestId` and resolves with the broker's response to it. */
  request(
    init: BaseCommandInit,
    requestId: bigint,
    timeoutMs = this.options.operationTimeoutMs,
  ): Promise<BaseCommand> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const what = commandName(init.type as T);
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        this.suspect();
        reject(new PulsarClientError('Timeout', `${what} got no response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer, what });
      this.write(encodeSimpleFrame(init));
    });
  }

  /**
   * Closes a producer or consumer on the broker whose registration this client gave up on
   * (timed out, or closed meanwhile), so it does not stay behind there, holding an exclusive
   * subscription or a producer name. Best effort: the answer is not awaited.
   */
  release(kind: 'producer' | 'consumer', id: bigint): void {
    if (this.closedError) return;
    const requestId = this.newRequestId();
    const init: BaseCommandInit =
      kind === 'producer'
        ? { type: T.CLOSE_PRODUCER, closeProducer: { producerId: id, requestId } }
        : { type: T.CLOSE_CONSUMER, closeConsumer: { consumerId: id, requestId } };
    this.request(init, requestId).catch(() => undefined);
  }

  /** Sends a command that has no response. */
  send(init: BaseCommandInit): void {
    if (this.closedError) throw this.closedError;
    this.write(encodeSimpleFrame(init));
  }

  sendPayload(
    init: BaseCommandInit,
    metadata: MessageMetadata | MessageMetadataInit,
    payload: Uint8Array,
  ): void {
    if (this.closedError) throw this.closedError;
    this.write(encodePayloadFrame(init, metadata, payload));
  }

  /** Writes already-encoded frame bytes. */
  write(frame: Buffer): void {
    if (this.closedError) throw this.closedError;
    this.socket.write(frame);
  }

  close(
    error = new PulsarClientError('ConnectionClosed', `connection to ${this.address} closed`),
  ): void {
    if (this.closedError) return;
    this.closedError = error;
    clearInterval(this.keepAlive);
    clearInterval(this.probe);
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    for (const h of [...this.producers.values()]) h.onConnectionClosed(error);
    for (const h of [...this.consumers.values()]) h.onConnectionClosed(error);
    this.producers.clear();
    this.consumers.clear();
    this.emit('close', error);
  }

  private attach(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) =>
      this.close(
        new PulsarClientError('ConnectionClosed', `connection to ${this.address} failed`, {
          cause: err,
        }),
      ),
    );
    this.socket.on('close', () => this.close());
    const every = this.options.keepAliveIntervalMs;
    if (every > 0) {
      // As the Java client: a PING each interval, and the connection closes when the next
      // interval begins with nothing heard since (a frozen broker is dropped 1 to 2 intervals
      // after it last answered).
      this.keepAlive = setInterval(() => {
        if (this.silentSincePing) {
          this.close(new PulsarClientError('ConnectionClosed', `no PONG from ${this.address}`));
        } else {
          this.silentSincePing = true;
          this.safeSend({ type: T.PING, ping: {} });
        }
      }, every);
      this.keepAlive.unref();
    }
  }

  private onData(chunk: Buffer): void {
    this.silentSincePing = false;
    if (this.suspectSince !== undefined) this.answered();
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(err as PulsarClientError);
      return;
    }
    for (const frame of frames) {
      if (this.closedError) return;
      let cmd: BaseCommand;
      try {
        cmd = decodeCommand(frame.command);
      } catch (err) {
        this.close(new PulsarClientError('ProtocolError', 'undecodable command', { cause: err }));
        return;
      }
      const missing = missingBody(cmd);
      if (missing !== undefined) {
        this.close(
          new PulsarClientError('ProtocolError', `${commandName(cmd.type)} without its ${missing}`),
        );
        return;
      }
      this.dispatch(cmd, frame.payload);
    }
  }

  private dispatch(cmd: BaseCommand, payload: PayloadSection | undefined): void {
    switch (cmd.type) {
      case T.MESSAGE:
        this.consumers.get(cmd.message!.consumerId)?.onMessage(cmd.message!, payload);
        return;
      case T.SEND_RECEIPT:
        this.producers.get(cmd.sendReceipt!.producerId)?.onSendReceipt(cmd.sendReceipt!);
        return;
      case T.SEND_ERROR:
        this.producers.get(cmd.sendError!.producerId)?.onSendError(cmd.sendError!);
        return;
      case T.PING:
        this.safeSend({ type: T.PONG, pong: {} });
        return;
      case T.PONG:
        return;
      case T.SUCCESS:
        return this.settle(cmd.success!.requestId, cmd);
      case T.PRODUCER_SUCCESS:
        // A producer waiting for exclusive access gets producer_ready=false first; keep waiting.
        if (!cmd.producerSuccess!.producerReady) return;
        return this.settle(cmd.producerSuccess!.requestId, cmd);
      case T.LOOKUP_RESPONSE:
        return this.settle(cmd.lookupTopicResponse!.requestId, cmd);
      case T.PARTITIONED_METADATA_RESPONSE:
        return this.settle(cmd.partitionMetadataResponse!.requestId, cmd);
      case T.GET_LAST_MESSAGE_ID_RESPONSE:
        return this.settle(cmd.getLastMessageIdResponse!.requestId, cmd);
      case T.ACK_RESPONSE: {
        // The broker refused the ack (it was not applied): the awaited ack fails, as in Java.
        const r = cmd.ackResponse!;
        const refused = isFieldSet(r, CommandAckResponseSchema.field.error);
        return this.settle(r.requestId, cmd, refused ? serverError(r.error, r.message) : undefined);
      }
      case T.ERROR: {
        const e = cmd.error!;
        return this.settle(e.requestId, cmd, serverError(e.error, e.message));
      }
      case T.CLOSE_PRODUCER: {
        const id = cmd.closeProducer!.producerId;
        const h = this.producers.get(id);
        this.producers.delete(id);
        h?.onClosedByBroker();
        return;
      }
      case T.CLOSE_CONSUMER: {
        const id = cmd.closeConsumer!.consumerId;
        const h = this.consumers.get(id);
        this.consumers.delete(id);
        h?.onClosedByBroker();
        return;
      }
      case T.ACTIVE_CONSUMER_CHANGE:
        this.consumers
          .get(cmd.activeConsumerChange!.consumerId)
          ?.onActiveConsumerChange(cmd.activeConsumerChange!.isActive);
        return;
      case T.REACHED_END_OF_TOPIC:
        this.consumers.get(cmd.reachedEndOfTopic!.consumerId)?.onReachedEndOfTopic();
        return;
      case T.AUTH_CHALLENGE:
        void this.answerAuthChallenge();
        return;
      default:
        // Commands this client does not use (newer protocol features) are ignored.
        return;
    }
  }

  /** Any frame shows the broker is alive again: the connection counts as answering. */
  private answered(): void {
    clearInterval(this.probe);
    this.probe = undefined;
    this.suspectSince = undefined;
    this.emit('answering');
  }

  private settle(requestId: bigint, cmd: BaseCommand, error?: PulsarClientError): void {
    const p = this.pending.get(requestId);
    if (!p) return;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(cmd);
  }

  private async answerAuthChallenge(): Promise<void> {
    const auth = this.options.authentication;
    try {
      const data = auth ? await auth.getData() : new Uint8Array();
      this.safeSend({
        type: T.AUTH_RESPONSE,
        authResponse: {
          clientVersion: CLIENT_VERSION,
          protocolVersion: PROTOCOL_VERSION,
          response: { authMethodName: auth?.methodName ?? 'none', authData: toBytes(data) },
        },
      });
    } catch (err) {
      this.close(
        new PulsarClientError('AuthenticationError', 'could not refresh credentials', {
          cause: err,
        }),
      );
    }
  }

  private safeSend(init: BaseCommandInit): void {
    if (!this.closedError) this.socket.write(encodeSimpleFrame(init));
  }
}
