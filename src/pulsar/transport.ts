import net from 'node:net';
import type { Duplex } from 'node:stream';
import { PulsarClientError } from './errors.js';

export interface TransportTarget {
  host: string;
  port: number;
  /** The `pulsar://` or `pulsar+ssl://` URL the target came from. */
  url: string;
}

/**
 * Opens a connected byte stream to a broker. The default is plain TCP; a TLS transport
 * (tls.connect, resolved on 'secureConnect') plugs in here without touching the rest.
 */
export type TransportFactory = (target: TransportTarget, timeoutMs: number) => Promise<Duplex>;

export const tcpTransport: TransportFactory = (target, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PulsarClientError('ConnectError', `connect to ${target.url} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new PulsarClientError('ConnectError', `connect to ${target.url} failed`, { cause: err }),
      );
    });
  });

/** Parses `pulsar://host:port` (also `pulsar+ssl://`); the first host of a list is used. */
export function parseServiceUrl(url: string): TransportTarget {
  const m = /^(pulsar(?:\+ssl)?):\/\/([^,/]+?)(?::(\d+))?(?:,[^/]*)?\/?$/.exec(url.trim());
  if (!m) throw new PulsarClientError('InvalidConfiguration', `invalid service URL: ${url}`);
  const tls = m[1] === 'pulsar+ssl';
  const host = m[2].replace(/^\[(.*)\]$/, '$1');
  const port = m[3] ? Number(m[3]) : tls ? 6651 : 6650;
  return { host, port, url: `${m[1]}://${m[2]}:${port}` };
}
