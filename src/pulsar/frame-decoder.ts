import { crc32cOf } from './checksum.js';
import { PulsarClientError } from './errors.js';

/**
 * Pulsar frames on the wire (all integers big-endian):
 *
 *   simple command:
 *   +------------+--------------+----------------------+
 *   | totalSize  | commandSize  | command (BaseCommand) |
 *   |  u32       |  u32         |  commandSize bytes    |
 *   +------------+--------------+----------------------+
 *
 *   payload command (SEND, MESSAGE):
 *   +-----------+-------------+---------+--------+----------+--------------+----------+---------+
 *   | totalSize | commandSize | command | magic  | checksum | metadataSize | metadata | payload |
 *   |  u32      |  u32        |         | 0x0e01 | u32      | u32          |          |         |
 *   +-----------+-------------+---------+--------+----------+--------------+----------+---------+
 *                                                  `-- CRC32C of metadataSize..payload --'
 *
 * totalSize counts every byte after itself. A broker that was told the client supports
 * broker entry metadata may put [0x0e02][u32 size][BrokerEntryMetadata] before the 0x0e01
 * magic; the decoder skips it.
 *
 * The decoder is a two-state byte machine (waiting for the 4 size bytes, then for the frame
 * body). It is pure: bytes in, frames out, no I/O, so it is tested by feeding it fixtures one
 * byte at a time.
 */

export const MAGIC_CRC32C = 0x0e01;
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;

/** Pulsar's default maxMessageSize (5 MiB); frames may exceed it by the command and metadata. */
export const DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;
export const FRAME_HEADROOM = 10 * 1024;

export interface PayloadSection {
  /** Serialized MessageMetadata. */
  metadata: Buffer;
  /** The message (or batch) bytes after the metadata. */
  payload: Buffer;
  /** False when the frame carried a checksum that does not match its bytes. */
  checksumValid: boolean;
  /** Serialized BrokerEntryMetadata when the broker added it. */
  brokerEntryMetadata?: Buffer;
}

export interface Frame {
  /** Serialized BaseCommand. */
  command: Buffer;
  payload?: PayloadSection;
}

type State = 'size' | 'body';

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private state: State = 'size';
  private need = 4;

  /** @param maxFrameSize largest totalSize accepted; larger frames are a protocol error. */
  constructor(public maxFrameSize = DEFAULT_MAX_MESSAGE_SIZE + FRAME_HEADROOM) {}

  /**
   * Feeds bytes; returns the frames they complete (possibly none, possibly several).
   * Throws PulsarClientError FrameTooLarge / ProtocolError; the stream is unusable after that.
   */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= this.need) {
      const bytes = this.take(this.need);
      if (this.state === 'size') {
        const size = bytes.readUInt32BE(0);
        if (size > this.maxFrameSize) {
          throw new PulsarClientError(
            'FrameTooLarge',
            `frame of ${size} bytes exceeds the limit of ${this.maxFrameSize}`,
          );
        }
        if (size < 4) throw new PulsarClientError('ProtocolError', `frame size ${size} too small`);
        this.state = 'body';
        this.need = size;
      } else {
        frames.push(parseFrameBody(bytes));
        this.state = 'size';
        this.need = 4;
      }
    }
    return frames;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered + (this.state === 'body' ? 4 : 0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

/** Splits one frame body (the bytes after totalSize) into command and payload section. */
export function parseFrameBody(body: Buffer): Frame {
  const commandSize = body.readUInt32BE(0);
  if (4 + commandSize > body.length) {
    throw new PulsarClientError('ProtocolError', `command size ${commandSize} exceeds its frame`);
  }
  const command = body.subarray(4, 4 + commandSize);
  let off = 4 + commandSize;
  if (off === body.length) return { command };

  let brokerEntryMetadata: Buffer | undefined;
  if (body.length - off >= 2 && body.readUInt16BE(off) === MAGIC_BROKER_ENTRY_METADATA) {
    const size = body.readUInt32BE(off + 2);
    brokerEntryMetadata = body.subarray(off + 6, off + 6 + size);
    off += 6 + size;
  }
  if (body.length - off < 10) {
    throw new PulsarClientError('ProtocolError', 'payload section shorter than its header');
  }
  let checksumValid = true;
  if (body.readUInt16BE(off) === MAGIC_CRC32C) {
    const expected = body.readUInt32BE(off + 2);
    off += 6;
    checksumValid = crc32cOf([body.subarray(off)]) === expected;
  }
  const metadataSize = body.readUInt32BE(off);
  if (off + 4 + metadataSize > body.length) {
    // A corrupted size is reported through the checksum, not by killing the connection.
    if (!checksumValid) {
      const empty = Buffer.alloc(0);
      return {
        command,
        payload: { metadata: empty, payload: empty, checksumValid, brokerEntryMetadata },
      };
    }
    throw new PulsarClientError('ProtocolError', `metadata size ${metadataSize} exceeds its frame`);
  }
  const metadata = body.subarray(off + 4, off + 4 + metadataSize);
  const payload = body.subarray(off + 4 + metadataSize);
  return { command, payload: { metadata, payload, checksumValid, brokerEntryMetadata } };
}
