import { BaseCommand_Type as T } from './commands.js';
import type { ConnectionPool } from './connection-pool.js';
import { PulsarClientError, serverError } from './errors.js';
import {
  CommandLookupTopicResponse_LookupType as LookupType,
  CommandPartitionedTopicMetadataResponse_LookupType as MetadataType,
} from './proto/generated/PulsarApi_pb.js';

/** Where a topic is served: the owning broker, and where to open the socket to reach it. */
export interface BrokerAddress {
  logicalUrl: string;
  physicalUrl: string;
}

const MAX_REDIRECTS = 20;

/** Binary lookup (LOOKUP, PARTITIONED_METADATA) over the service URL's connection. */
export class LookupService {
  constructor(
    private readonly pool: ConnectionPool,
    private readonly serviceUrl: string,
    private readonly useTls = false,
  ) {}

  /**
   * Finds the broker that owns `topic`, following redirects (with the authoritative flag
   * the broker returns). When the broker says `proxy_through_service_url`, sockets go to the
   * service URL and the proxy forwards them.
   */
  async lookup(topic: string): Promise<BrokerAddress> {
    let logical = this.serviceUrl;
    let physical = this.serviceUrl;
    let authoritative = false;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const conn = await this.pool.get(logical, physical);
      const requestId = conn.newRequestId();
      const res = await conn.request(
        { type: T.LOOKUP, lookupTopic: { topic, requestId, authoritative } },
        requestId,
      );
      const r = res.lookupTopicResponse!;
      if (r.response === LookupType.Failed) throw serverError(r.error, r.message);
      const url = (this.useTls ? r.brokerServiceUrlTls : r.brokerServiceUrl) || r.brokerServiceUrl;
      if (!url) throw new PulsarClientError('LookupError', `lookup of ${topic} returned no broker`);
      physical = r.proxyThroughServiceUrl ? this.serviceUrl : url;
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
    const conn = await this.pool.get(this.serviceUrl);
    const requestId = conn.newRequestId();
    const res = await conn.request(
      { type: T.PARTITIONED_METADATA, partitionMetadata: { topic, requestId } },
      requestId,
    );
    const r = res.partitionMetadataResponse!;
    if (r.response === MetadataType.Failed) throw serverError(r.error, r.message);
    return r.partitions;
  }
}
