import { BaseCommand_Type as T } from './commands.js';
import type { Connection } from './connection.js';
import type { ConnectionPool } from './connection-pool.js';
import { PulsarClientError, serverError } from './errors.js';
import {
  type ServerError,
  CommandLookupTopicResponse_LookupType as LookupType,
  CommandPartitionedTopicMetadataResponse_LookupType as MetadataType,
} from './proto/generated/PulsarApi_pb.js';
import { parseServiceHosts } from './transport.js';

/** Where a topic is served: the owning broker, and where to open the socket to reach it. */
export interface BrokerAddress {
  logicalUrl: string;
  physicalUrl: string;
}

const MAX_REDIRECTS = 20;

/**
 * Binary lookup (LOOKUP, PARTITIONED_METADATA) over a connection to the service URL.
 *
 * A service URL may list several hosts (`pulsar://b1:6650,b2:6650`): a lookup goes to the
 * host that answered last, and when that one cannot be connected to, to the others in the
 * listed order. The Java client also cycles through the listed hosts (starting at a random
 * one, moving on each lookup, skipping hosts its health check finds down); trying them in
 * turn within one lookup gives the same outcome without waiting for a retry.
 */
export class LookupService {
  /** One single-host URL per listed host. */
  private readonly hosts: string[];
  /** Index in `hosts` of the host the last lookup reached. */
  private current = 0;

  constructor(
    private readonly pool: ConnectionPool,
    serviceUrl: string,
    private readonly useTls = false,
  ) {
    this.hosts = parseServiceHosts(serviceUrl).map((t) => t.url);
  }

  /** A connection to one of the service URL's hosts, and that host's URL. */
  private async serviceConnection(): Promise<{ conn: Connection; url: string }> {
    let lastError: unknown;
    for (let i = 0; i < this.hosts.length; i++) {
      const index = (this.current + i) % this.hosts.length;
      const url = this.hosts[index];
      try {
        const conn = await this.pool.get(url);
        this.current = index;
        return { conn, url };
      } catch (err) {
        if (err instanceof PulsarClientError && err.result === 'AlreadyClosed') throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /**
   * Finds the broker that owns `topic`, following redirects (with the authoritative flag
   * the broker returns). When the broker says `proxy_through_service_url`, sockets go to the
   * service URL and the proxy forwards them.
   */
  async lookup(topic: string): Promise<BrokerAddress> {
    const service = await this.serviceConnection();
    let logical = service.url;
    let physical = service.url;
    let authoritative = false;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const conn = hop === 0 ? service.conn : await this.pool.get(logical, physical);
      const requestId = conn.newRequestId();
      const res = await conn.request(
        { type: T.LOOKUP, lookupTopic: { topic, requestId, authoritative } },
        requestId,
      );
      const r = res.lookupTopicResponse!;
      if (r.response === LookupType.Failed) throw lookupFailure(r.error, r.message, topic);
      const url = (this.useTls ? r.brokerServiceUrlTls : r.brokerServiceUrl) || r.brokerServiceUrl;
      if (!url) throw new PulsarClientError('LookupError', `lookup of ${topic} returned no broker`);
      physical = r.proxyThroughServiceUrl ? service.url : url;
      logical = url;
      if (r.response === LookupType.Connect) return { logicalUrl: logical, physicalUrl: physical };
      authoritative = r.authoritative;
    }
    throw new PulsarClientError(
      'TooManyLookupRedirects',
      `lookup of ${topic} redirected ${MAX_REDIRECTS} times`,
    );
  }

  /** Number of partitions of `topic`; 0 for a non-partitioned topic. */
  async partitions(topic: string): Promise<number> {
    const { conn } = await this.serviceConnection();
    const requestId = conn.newRequestId();
    const res = await conn.request(
      { type: T.PARTITIONED_METADATA, partitionMetadata: { topic, requestId } },
      requestId,
    );
    const r = res.partitionMetadataResponse!;
    if (r.response === MetadataType.Failed) throw lookupFailure(r.error, r.message, topic);
    return r.partitions;
  }
}

/**
 * The broker's refusal of a lookup, saying what was looked up: its message may be empty
 * ("TopicNotFound" alone) or name neither the topic nor its namespace ("Namespace not
 * found").
 */
function lookupFailure(
  code: ServerError | undefined,
  message: string | undefined,
  topic: string,
): PulsarClientError {
  const result = serverError(code, message).result;
  let text = message?.trim() || (result === 'TopicNotFound' ? 'topic not found' : '');
  const namespace = /^[a-z-]+:\/\/([^/]+\/[^/]+)\//.exec(topic)?.[1];
  if (namespace && /namespace/i.test(text) && !text.includes(namespace)) {
    text = `${text}: ${namespace}`;
  }
  if (!text) text = 'broker refused the lookup';
  if (!text.includes(topic)) text = `${text} (looking up ${topic})`;
  return new PulsarClientError(result, text);
}
