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

const SERVICE_URL = /^(pulsar(?:\+ssl)?):\/\/([^/]+?)\/?$/;
/** A name or IPv4 address (no colon), or an IPv6 address in brackets; then maybe a port. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s@]+)(?::(\d{1,5}))?$/;

/**
 * The hosts of a service URL, each as its own target: `pulsar://host1:6650,host2:6650`
 * (also `pulsar+ssl://`, and `[v6addr]:port`), a host without a port taking the scheme's
 * default, as the Java client's ServiceURI reads it.
 */
export function parseServiceHosts(url: string): TransportTarget[] {
  const m = SERVICE_URL.exec(url.trim());
  if (!m) throw new PulsarClientError('InvalidConfiguration', `invalid service URL: ${url}`);
  const scheme = m[1];
  return m[2].split(',').map((hostPort) => {
    const h = HOST_PORT.exec(hostPort.trim());
    const port = h?.[2] ? Number(h[2]) : scheme === 'pulsar+ssl' ? 6651 : 6650;
    if (!h || port < 1 || port > 65535)
      throw new PulsarClientError(
        'InvalidConfiguration',
        `invalid service URL: ${url} (each host is name[:port] or [IPv6][:port], a port 1-65535)`,
      );
    return { host: h[1].replace(/^\[(.*)\]$/, '$1'), port, url: `${scheme}://${h[1]}:${port}` };
  });
}

/**
 * Parses `pulsar://host:port` (also `pulsar+ssl://`): host and port are the first host's,
 * `url` is the whole normalized URL, every listed host with its port (see parseServiceHosts).
 */
export function parseServiceUrl(url: string): TransportTarget {
  const targets = parseServiceHosts(url);
  const scheme = SERVICE_URL.exec(url.trim())![1];
  const hosts = targets.map((t) => t.url.slice(scheme.length + 3));
  return { host: targets[0].host, port: targets[0].port, url: `${scheme}://${hosts.join(',')}` };
}
