import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../src/pulsar/checksum.js';
import {
  BaseCommand_Type as T,
  decodeCommand,
  decodeMetadata,
  encodePayloadFrame,
  encodeSimpleFrame,
} from '../../src/pulsar/commands.js';
import { PulsarClientError } from '../../src/pulsar/errors.js';
import { FrameDecoder, type Frame } from '../../src/pulsar/frame-decoder.js';

// A PING frame, byte for byte: totalSize 9, commandSize 5,
// BaseCommand{type=18 (PING): 08 12, ping (field 18, empty): 92 01 00}.
const PING_BYTES = Buffer.from([0, 0, 0, 9, 0, 0, 0, 5, 0x08, 0x12, 0x92, 0x01, 0x00]);

// A payload frame built by hand: command = SEND{producer_id 1, sequence_id 7}.
function handBuiltSend(corrupt = false): Buffer {
  const cmd = Buffer.from([0x08, 0x06, 0x32, 0x04, 0x08, 0x01, 0x10, 0x07]); // type=SEND, send{1,7}
  // MessageMetadata{producer_name "p", sequence_id 7, publish_time 1}
  const meta = Buffer.from([0x0a, 0x01, 0x70, 0x10, 0x07, 0x18, 0x01]);
  const payload = Buffer.from('hello');
  const checked = Buffer.concat([u32(meta.length), meta, payload]);
  const sum = crc32c(checked);
  const tail = Buffer.concat([Buffer.from([0x0e, 0x01]), u32(corrupt ? sum ^ 1 : sum), checked]);
  const body = Buffer.concat([u32(cmd.length), cmd, tail]);
  return Buffer.concat([u32(body.length), body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function feedBytewise(d: FrameDecoder, bytes: Buffer): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
  return out;
}

test('encodes PING exactly as the fixture', () => {
  assert.deepEqual(encodeSimpleFrame({ type: T.PING, ping: {} }), PING_BYTES);
});

test('decodes a simple frame fed one byte at a time', () => {
  const d = new FrameDecoder();
  const frames = feedBytewise(d, PING_BYTES);
  assert.equal(frames.length, 1);
  assert.equal(decodeCommand(frames[0].command).type, T.PING);
  assert.equal(frames[0].payload, undefined);
  assert.equal(d.pendingBytes, 0);
});

test('decodes a hand-built payload frame one byte at a time', () => {
  const frames = feedBytewise(new FrameDecoder(), handBuiltSend());
  assert.equal(frames.length, 1);
  const cmd = decodeCommand(frames[0].command);
  assert.equal(cmd.type, T.SEND);
  assert.equal(cmd.send!.producerId, 1n);
  assert.equal(cmd.send!.sequenceId, 7n);
  const p = frames[0].payload!;
  assert.equal(p.checksumValid, true);
  assert.equal(decodeMetadata(p.metadata).producerName, 'p');
  assert.equal(p.payload.toString(), 'hello');
});

test('our payload encoder produces the hand-built bytes', () => {
  const ours = encodePayloadFrame(
    { type: T.SEND, send: { producerId: 1n, sequenceId: 7n } },
    { producerName: 'p', sequenceId: 7n, publishTime: 1n },
    Buffer.from('hello'),
  );
  assert.deepEqual(ours, handBuiltSend());
});

test('a frame split at every possible point decodes the same', () => {
  const bytes = handBuiltSend();
  for (let cut = 1; cut < bytes.length; cut++) {
    const d = new FrameDecoder();
    const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    assert.equal(frames.length, 1, `cut at ${cut}`);
    assert.equal(frames[0].payload!.payload.toString(), 'hello');
  }
});

test('several frames in one chunk, with a partial one at the end', () => {
  const a = handBuiltSend();
  const all = Buffer.concat([PING_BYTES, a, PING_BYTES, a.subarray(0, 5)]);
  const d = new FrameDecoder();
  const frames = d.push(all);
  assert.deepEqual(
    frames.map((f) => decodeCommand(f.command).type),
    [T.PING, T.SEND, T.PING],
  );
  assert.equal(d.pendingBytes, 5);
  const rest = d.push(a.subarray(5));
  assert.equal(rest.length, 1);
  assert.equal(rest[0].payload!.payload.toString(), 'hello');
});

test('a bad checksum is reported, not hidden', () => {
  const frames = new FrameDecoder().push(handBuiltSend(true));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].payload!.checksumValid, false);
});

test('a flipped payload byte fails the checksum', () => {
  const bytes = Buffer.from(handBuiltSend());
  bytes[bytes.length - 1] ^= 0xff;
  assert.equal(new FrameDecoder().push(bytes)[0].payload!.checksumValid, false);
});

test('an oversized frame is refused before its body is buffered', () => {
  const d = new FrameDecoder(1024);
  assert.throws(
    () => d.push(Buffer.from([0, 0, 0x10, 0, 0, 0])),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'FrameTooLarge',
  );
});

test('a frame at the size limit is accepted', () => {
  const d = new FrameDecoder(9);
  assert.equal(d.push(PING_BYTES).length, 1);
});

test('a command size larger than its frame is a protocol error', () => {
  const bad = Buffer.from([0, 0, 0, 6, 0, 0, 0, 9, 0x08, 0x12, 0x92, 0x01, 0x00]);
  assert.throws(
    () => new FrameDecoder().push(bad),
    (e: unknown) => e instanceof PulsarClientError && e.result === 'ProtocolError',
  );
});

test('broker entry metadata before the checksum magic is skipped', () => {
  const plain = handBuiltSend();
  const cmdSize = plain.readUInt32BE(4);
  const cut = 8 + cmdSize;
  const bem = Buffer.from([0x08, 0x2a]); // broker_timestamp = 42
  const extra = Buffer.concat([Buffer.from([0x0e, 0x02]), u32(bem.length), bem]);
  const body = Buffer.concat([plain.subarray(4, cut), extra, plain.subarray(cut)]);
  const frames = new FrameDecoder().push(Buffer.concat([u32(body.length), body]));
  assert.equal(frames[0].payload!.checksumValid, true);
  assert.deepEqual(frames[0].payload!.brokerEntryMetadata, bem);
  assert.equal(frames[0].payload!.payload.toString(), 'hello');
});
