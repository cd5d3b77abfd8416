import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ChunkAssembler } from '../../src/pulsar/chunk-assembler.js';
import { MessageId } from '../../src/pulsar/message-id.js';
import { MessageMetadataSchema } from '../../src/pulsar/proto/generated/PulsarApi_pb.js';

function chunk(uuid: string, chunkId: number, entry: number, num = 2) {
  return {
    meta: create(MessageMetadataSchema, {
      uuid,
      chunkId,
      numChunksFromMsg: num,
      totalChunkMsgSize: 4,
    }),
    id: new MessageId(1n, BigInt(entry)),
    payload: Buffer.from(`${uuid}${chunkId}`),
  };
}

test('interleaved chunked messages complete independently', () => {
  const a = new ChunkAssembler();
  assert.equal(a.add(chunk('x', 0, 0)).kind, 'pending');
  assert.equal(a.add(chunk('y', 0, 1)).kind, 'pending');
  const y = a.add(chunk('y', 1, 2));
  assert.equal(y.kind, 'complete');
  assert.equal(y.kind === 'complete' && y.payload.toString(), 'y0y1');
  const x = a.add(chunk('x', 1, 3));
  assert.deepEqual(x.kind === 'complete' && x.ids.map(String), ['1:0:-1', '1:3:-1']);
});

test('a restarted message drops the stale chunks; a gap drops the message', () => {
  const a = new ChunkAssembler();
  a.add(chunk('x', 0, 0, 3));
  const restarted = a.add(chunk('x', 0, 5, 3));
  assert.deepEqual(restarted.kind === 'dropped' && restarted.ids.map(String), ['1:0:-1']);
  const gap = a.add(chunk('x', 2, 6, 3));
  assert.deepEqual(gap.kind === 'dropped' && gap.ids.map(String), ['1:5:-1', '1:6:-1']);
});

test('open messages are bounded: the oldest incomplete one is given up', () => {
  const a = new ChunkAssembler(2);
  a.add(chunk('a', 0, 0));
  a.add(chunk('b', 0, 1));
  const evicted = a.add(chunk('c', 0, 2));
  assert.deepEqual(evicted.kind === 'dropped' && evicted.ids.map(String), ['1:0:-1']);
  assert.equal(a.add(chunk('b', 1, 3)).kind, 'complete');
});
