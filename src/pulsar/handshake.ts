import type { Duplex } from 'node:stream';
import {
  BaseCommand_Type as T,
  commandName,
  decodeCommand,
  encodeSimpleFrame,
} from './commands.js';
import type { ConnectionOptions } from './connection.js';
import { PulsarClientError, serverError } from './errors.js';
import type { FrameDecoder } from './frame-decoder.js';
import type { BaseCommand } from './proto/generated/PulsarApi_pb.js';
import type { TransportTarget } from './transport.js';

/** The newest protocol version this client speaks (Pulsar's ProtocolVersion v21). */
export const PROTOCOL_VERSION = 21;
export const CLIENT_VERSION = 'magnetar-pulsar-ts/0.1.0';

/** Credentials as bytes (a token string is sent as its UTF-8). */
export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * What the server's first bytes say when they are not Pulsar's protocol at all: the client
 * was pointed at the wrong port. Read as a frame size, "HTTP" is 1213486160 bytes and a TLS
 * record (0x15/0x16 0x03 ..) hundreds of MB, so a broker frame can never start like that;
 * without this check the user would see only FrameTooLarge.
 */
export function wrongProtocol(
  head: Buffer,
  target: TransportTarget,
): PulsarClientError | undefined {
  if (head.length < 4) return undefined;
  const where = serverAt(target);
  if (head.toString('latin1', 0, 4) === 'HTTP') {
    return new PulsarClientError(
      'ProtocolError',
      `${where} answered with HTTP: is this the web/admin port instead of the broker's binary port (6650)?`,
    );
  }
  if ((head[0] === 0x15 || head[0] === 0x16) && head[1] === 0x03) {
    return new PulsarClientError(
      'ProtocolError',
      `${where} answered with TLS: is this the broker's TLS port (6651), to be used with pulsar+ssl://?`,
    );
  }
  return undefined;
}

/**
 * A first frame too large to be Pulsar's (an SSH banner, a Redis error line, ...): the server
 * speaks another protocol. Named with its first bytes rather than as a frame size.
 */
function notPulsar(
  err: PulsarClientError,
  head: Buffer,
  target: TransportTarget,
): PulsarClientError | undefined {
  if (err.result !== 'FrameTooLarge') return undefined;
  return new PulsarClientError(
    'ProtocolError',
    `${serverAt(target)} does not speak Pulsar's binary protocol (it began with ` +
      `${JSON.stringify(head.toString('latin1'))}): is this the broker's binary port (6650)?`,
    { cause: err },
  );
}

function serverAt(target: TransportTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `the server at ${host}:${target.port}`;
}

/**
 * Sends CONNECT (protocol version, credentials, proxy target) and waits for CONNECTED or an
 * ERROR, within connectionTimeoutMs. Resolves with the CONNECTED command.
 */
export async function handshake(
  socket: Duplex,
  decoder: FrameDecoder,
  options: ConnectionOptions,
): Promise<BaseCommand> {
  const auth = options.authentication;
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: unknown, cmd?: BaseCommand) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(cmd!);
    };
    const timer = setTimeout(
      () => done(new PulsarClientError('ConnectError', `no CONNECTED from ${options.target.url}`)),
      options.connectionTimeoutMs,
    );
    const onError = (err: Error) =>
      done(
        new PulsarClientError('ConnectError', `connection to ${options.target.url} failed`, {
          cause: err,
        }),
      );
    const onClose = () =>
      done(new PulsarClientError('ConnectError', `${options.target.url} closed the connection`));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      if (head.length < 4) {
        head = Buffer.concat([head, chunk.subarray(0, 4)]);
        const wrong = wrongProtocol(head, options.target);
        if (wrong) return done(wrong);
      }
      try {
        const frames = decoder.push(chunk);
        if (frames.length === 0) return;
        const cmd = decodeCommand(frames[0].command);
        if (cmd.type === T.CONNECTED) {
          // Frames after CONNECTED cannot arrive before we ask for anything.
          done(undefined, cmd);
        } else if (cmd.type === T.ERROR) {
          done(serverError(cmd.error!.error, cmd.error!.message));
        } else {
          done(
            new PulsarClientError(
              'ProtocolError',
              `expected CONNECTED, got ${commandName(cmd.type)}`,
            ),
          );
        }
      } catch (err) {
        done(
          err instanceof PulsarClientError
            ? (notPulsar(err, head, options.target) ?? err)
            : new PulsarClientError('ProtocolError', 'bad handshake', { cause: err }),
        );
      }
    };
    // Listening before the credentials are fetched (which may take a while, a token read
    // from a vault say): a reset meanwhile is a failed connect, not an unhandled 'error'.
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    const connect = async () => {
      const authData = auth ? toBytes(await auth.getData()) : undefined;
      if (settled) return;
      socket.write(
        encodeSimpleFrame({
          type: T.CONNECT,
          connect: {
            clientVersion: CLIENT_VERSION,
            protocolVersion: PROTOCOL_VERSION,
            authMethodName: auth?.methodName,
            authData,
            proxyToBrokerUrl: options.proxyToBrokerUrl,
            featureFlags: { supportsAuthRefresh: true },
          },
        }),
      );
    };
    connect().catch((err: unknown) => done(err));
  });
}
