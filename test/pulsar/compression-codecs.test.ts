import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  codecFor,
  codecForWire,
  CompressionError,
  decompressPayload,
  type CompressionType,
} from '../../src/pulsar/compression/index.js';

const ENCODABLE: CompressionType[] = ['NONE', 'LZ4', 'ZLIB', 'SNAPPY'];

function samples(): Buffer[] {
  return [
    Buffer.alloc(0),
    Buffer.from('x'),
    Buffer.from('fourteen bytes'),
    Buffer.from('exactly fifteen'),
    randomBytes(300), // incompressible: LZ4 falls back to a literal-only block
    Buffer.from('{"type":"user.viewed","userId":"u-1"}'.repeat(3000)),
    randomBytes(70_000), // literal run longer than the LZ4 65535 window
  ];
}

for (const type of ENCODABLE) {
  test(`${type} round trips payloads of every shape`, () => {
    const codec = codecFor(type);
    for (const payload of samples()) {
      const encoded = codec.encode(payload);
      assert.deepEqual(codec.decode(encoded, payload.length), payload);
    }
  });
}

test('compressible payloads shrink with LZ4, ZLIB and SNAPPY', () => {
  const payload = Buffer.from('{"type":"user.viewed","userId":"u-1"}'.repeat(1000));
  for (const type of ['LZ4', 'ZLIB', 'SNAPPY'] as const) {
    assert.ok(codecFor(type).encode(payload).length < payload.length / 5, type);
  }
});

test('LZ4 decodes a raw block fixture (no frame header), as lz4-java writes it', () => {
  // literal 'a', match offset 1 length 14, then the mandatory 5 trailing literals
  const block = Buffer.from('1a61010050' + '6161616161', 'hex');
  assert.equal(codecFor('LZ4').decode(block, 20).toString(), 'a'.repeat(20));
});

test('ZSTD decodes a frame written by the zstd reference encoder', () => {
  const frame = Buffer.from('28b52ffd0468850000506d61676e65746172202101004896234f38140c', 'hex');
  const text = 'magnetar magnetar magnetar magnetar magnetar!';
  assert.equal(codecFor('ZSTD').decode(frame, text.length).toString(), text);
  assert.equal(codecFor('ZSTD').canEncode, false);
  assert.throws(() => codecFor('ZSTD').encode(Buffer.from('x')), {
    name: 'CompressionError',
    code: 'UnsupportedCompression',
  });
});

test('SNAPPY decodes a raw block fixture', () => {
  // varint length 10, literal 'a', copy-1 of length 9 at offset 1
  const block = Buffer.from('0a00611501', 'hex');
  assert.equal(codecFor('SNAPPY').decode(block, 10).toString(), 'a'.repeat(10));
});

test('a size that disagrees with uncompressed_size is CorruptPayload for every codec', () => {
  const payload = Buffer.from('hello hello hello hello hello hello');
  for (const type of ['LZ4', 'ZLIB', 'SNAPPY'] as const) {
    const encoded = codecFor(type).encode(payload);
    assert.throws(
      () => codecFor(type).decode(encoded, payload.length + 7),
      (err: unknown) => err instanceof CompressionError && err.code === 'CorruptPayload',
      type,
    );
  }
  const frame = Buffer.from('28b52ffd0468850000506d61676e65746172202101004896234f38140c', 'hex');
  assert.throws(() => codecFor('ZSTD').decode(frame, 10), { code: 'CorruptPayload' });
});

test('garbage is CorruptPayload, never a crash or a wrong payload', () => {
  const garbage = Buffer.from('this is not compressed at all, really');
  for (const type of ['ZLIB', 'ZSTD', 'SNAPPY'] as const) {
    assert.throws(() => codecFor(type).decode(garbage, 1000), { code: 'CorruptPayload' }, type);
  }
});

test('wire values map to codecs as in PulsarApi.proto', () => {
  assert.equal(codecForWire(undefined).type, 'NONE');
  assert.equal(codecForWire(1).type, 'LZ4');
  assert.equal(codecForWire(2).type, 'ZLIB');
  assert.equal(codecForWire(3).type, 'ZSTD');
  assert.equal(codecForWire(4).type, 'SNAPPY');
  assert.throws(() => codecForWire(9), { code: 'UnsupportedCompression' });
  const raw = Buffer.from('plain');
  assert.equal(decompressPayload('NONE', raw, 5), raw);
});

test('ZLIB decodes a SYNC_FLUSH stream without trailer, as java.util.zip.Deflater writes it', async () => {
  const { deflateSync, constants } = await import('node:zlib');
  const text = 'magnetar '.repeat(50);
  // Node's deflate with Z_SYNC_FLUSH as the final flush leaves the stream unterminated.
  const synced = deflateSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  assert.equal(synced.subarray(-4).toString('hex'), '0000ffff');
  assert.equal(codecFor('ZLIB').decode(synced, text.length).toString(), text);
});
