import type { MessageId } from './message-id.js';
import type { MessageMetadata } from './proto/generated/PulsarApi_pb.js';

/** One chunk of a message the producer split because it exceeded the broker's size limit. */
export interface Chunk {
  meta: MessageMetadata;
  id: MessageId;
  payload: Buffer;
}

export type AssembleResult =
  | { kind: 'pending' }
  | { kind: 'complete'; meta: MessageMetadata; payload: Buffer; ids: MessageId[] }
  /** Chunks that can never complete (gap, duplicate start): their entries are given up. */
  | { kind: 'dropped'; ids: MessageId[] };

interface Partial {
  parts: Buffer[];
  ids: MessageId[];
  total: number;
}

/**
 * Reassembles chunked messages (metadata uuid, chunk_id, num_chunks_from_msg): chunks of one
 * message arrive in order on one consumer, possibly interleaved with other messages. The
 * payload is compressed as a whole before chunking, so it is decompressed after reassembly.
 */
export class ChunkAssembler {
  private readonly open = new Map<string, Partial>();

  constructor(private readonly maxOpenMessages = 100) {}

  add(chunk: Chunk): AssembleResult {
    const { uuid, chunkId, numChunksFromMsg, totalChunkMsgSize } = chunk.meta;
    let p = this.open.get(uuid);
    if (chunkId === 0) {
      const stale = p;
      p = { parts: [], ids: [], total: totalChunkMsgSize };
      this.open.set(uuid, p);
      if (stale) return this.restartWith(uuid, chunk, stale.ids);
    }
    if (!p || chunkId !== p.parts.length) {
      // A chunk without its predecessors (e.g. redelivered alone): the message cannot complete.
      const ids = [...(p?.ids ?? []), chunk.id];
      this.open.delete(uuid);
      return { kind: 'dropped', ids };
    }
    p.parts.push(chunk.payload);
    p.ids.push(chunk.id);
    if (chunkId < numChunksFromMsg - 1) return this.evictOldest();
    this.open.delete(uuid);
    return { kind: 'complete', meta: chunk.meta, payload: Buffer.concat(p.parts), ids: p.ids };
  }

  clear(): void {
    this.open.clear();
  }

  private restartWith(uuid: string, chunk: Chunk, staleIds: MessageId[]): AssembleResult {
    const p = this.open.get(uuid)!;
    p.parts.push(chunk.payload);
    p.ids.push(chunk.id);
    return { kind: 'dropped', ids: staleIds };
  }

  /** Bounds memory: the oldest incomplete message is given up past maxOpenMessages. */
  private evictOldest(): AssembleResult {
    if (this.open.size <= this.maxOpenMessages) return { kind: 'pending' };
    const [uuid, oldest] = this.open.entries().next().value as [string, Partial];
    this.open.delete(uuid);
    return { kind: 'dropped', ids: oldest.ids };
  }
}
