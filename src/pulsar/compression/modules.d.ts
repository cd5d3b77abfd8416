// Type declarations for the untyped pure-JS codec packages, limited to what is used here.

declare module 'lz4js' {
  export function compressBound(n: number): number;
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
  const lz4: {
    compressBound: typeof compressBound;
    compressBlock: typeof compressBlock;
    decompressBlock: typeof decompressBlock;
  };
  export default lz4;
}

declare module 'snappyjs' {
  export function compress(input: Buffer): Buffer;
  export function uncompress(input: Buffer, maxLength?: number): Buffer;
  const snappy: { compress: typeof compress; uncompress: typeof uncompress };
  export default snappy;
}
