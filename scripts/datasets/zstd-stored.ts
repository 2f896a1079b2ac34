/**
 * A Zstandard "compressor" that stores: one frame of raw (uncompressed) blocks, valid per
 * RFC 8878 §3.1.1 (frame header with a 4-byte content size, single segment; block type 0).
 * Node 20 has no zstd, and hyparquet-writer needs a compressor to write ZSTD pages; a stored
 * frame still exercises the reader's zstd decoder on a real frame.
 */
const MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024 - 1;

export function zstdStored(input: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(input.length / MAX_BLOCK));
  const out = Buffer.alloc(4 + 1 + 4 + blocks * 3 + input.length);
  out.writeUInt32LE(MAGIC, 0);
  // Frame_Header_Descriptor: content size flag 2 (4 bytes), single segment.
  out[4] = (2 << 6) | (1 << 5);
  out.writeUInt32LE(input.length, 5);
  let at = 9;
  for (let block = 0; block < blocks; block += 1) {
    const start = block * MAX_BLOCK;
    const size = Math.min(MAX_BLOCK, input.length - start);
    const last = block === blocks - 1 ? 1 : 0;
    const header = last | (0 << 1) | (size << 3);
    out[at] = header & 0xff;
    out[at + 1] = (header >> 8) & 0xff;
    out[at + 2] = (header >> 16) & 0xff;
    out.set(input.subarray(start, start + size), at + 3);
    at += 3 + size;
  }
  return out;
}
