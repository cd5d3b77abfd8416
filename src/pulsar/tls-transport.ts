import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { PulsarClientError } from './errors.js';
import type { TransportFactory } from './transport.js';

export interface TlsOptions {
  /** PEM of the CA that signed the broker certificate (contents, not a path). Default: Node's roots. */
  ca?: string | Buffer;
  /** Path to the CA PEM, the official clients' `tlsTrustCertsFilePath`. */
  trustCertsFilePath?: string;
  /** Client certificate and key for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default false: the broker certificate must chain to a trusted CA. */
  allowInsecureConnection?: boolean;
  /** Default true: the certificate must name the host connected to. */
  validateHostname?: boolean;
}

/** The handshake failure in words, with OpenSSL's code (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE). */
function reason(err: NodeJS.ErrnoException): string {
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}

/**
 * Opens `pulsar+ssl://` connections: TLS over TCP, resolved once the handshake (and the
 * certificate check) has completed, so a bad certificate is a ConnectError, never a
 * half-open connection.
 */
export function tlsTransport(options: TlsOptions = {}): TransportFactory {
  const ca =
    options.ca ??
    (options.trustCertsFilePath ? readFileSync(options.trustCertsFilePath) : undefined);
  const validateHostname = options.validateHostname ?? true;
  return (target, timeoutMs) =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: target.host,
        port: target.port,
        ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: !options.allowInsecureConnection,
        // SNI must not be an IP address (RFC 6066).
        servername: /^[\d.:]+$/.test(target.host) ? undefined : target.host,
        checkServerIdentity: validateHostname ? tls.checkServerIdentity : () => undefined,
      });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PulsarClientError('ConnectError', `TLS connect to ${target.url} timed out`));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new PulsarClientError(
            'ConnectError',
            `TLS connect to ${target.url} failed: ${reason(err)}`,
            {
              cause: err,
            },
          ),
        );
      });
    });
}
