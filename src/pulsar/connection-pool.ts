import { Connection, type ConnectionOptions } from './connection.js';
import { PulsarClientError } from './errors.js';
import { parseServiceUrl } from './transport.js';

type PoolOptions = Omit<ConnectionOptions, 'target' | 'proxyToBrokerUrl'>;

/**
 * One connection per logical broker address (and per physical address when going through a
 * proxy). Concurrent callers for the same broker share one connect attempt; a closed
 * connection leaves the pool so the next caller opens a fresh one.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly open = new Set<Connection>();
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /**
   * @param logicalUrl the broker that owns the topic (`pulsar://host:port`)
   * @param physicalUrl where to open the socket; differs from logicalUrl through a proxy
   */
  get(logicalUrl: string, physicalUrl = logicalUrl): Promise<Connection> {
    if (this.closed)
      return Promise.reject(new PulsarClientError('AlreadyClosed', 'client is closed'));
    const key = logicalUrl === physicalUrl ? logicalUrl : `${logicalUrl} via ${physicalUrl}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const opening = Connection.open({
      ...this.options,
      target: parseServiceUrl(physicalUrl),
      proxyToBrokerUrl: logicalUrl === physicalUrl ? undefined : logicalUrl,
    });
    this.connections.set(key, opening);
    opening.then(
      (conn) => {
        this.open.add(conn);
        conn.once('close', () => {
          this.open.delete(conn);
          if (this.connections.get(key) === opening) this.connections.delete(key);
        });
        if (this.closed) conn.close();
      },
      () => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      },
    );
    return opening;
  }

  /**
   * Since when (epoch ms) the longest-silent open connection has had no answer from its
   * broker after a timeout; undefined while every broker answers.
   */
  unansweredSince(): number | undefined {
    let since: number | undefined;
    for (const conn of this.open) {
      const s = conn.unansweredSince;
      if (s !== undefined && (since === undefined || s < since)) since = s;
    }
    return since;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const settled of await Promise.allSettled(all)) {
      if (settled.status === 'fulfilled') settled.value.close();
    }
  }
}
