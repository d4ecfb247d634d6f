/**
 * What a file is, from its first bytes: a torch.save zip (`PK\x03\x04`, then a stored entry's
 * method 0 where a safetensors header has its JSON's `{`), a legacy (pre-1.6) torch.save stream (a
 * pickle of the magic number 0x1950a86a20f9469cfc6c first), or neither (safetensors, or garbage the
 * safetensors reader then names). The checks do not overlap: a safetensors file starts with a u64
 * header length under 100 MB, so its bytes 4 to 7 are zero.
 */

import type { ByteReader } from '../safetensors/byte-reader.js';

export type TorchFormat = 'zip' | 'legacy';

/** Bytes to read for `torchFormatOf`. */
export const FORMAT_PROBE_BYTES = 32;

/** The LONG1 opcode of the legacy magic number, 0x1950a86a20f9469cfc6c, as pickle writes it. */
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function torchFormatOf(head: Uint8Array): TorchFormat | null {
  if (head.length >= 9 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 && head[8] !== 0x7b) return 'zip';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2) {
    // PROTO n, then (protocol 4+) an optional FRAME with its 8-byte length, then the magic number.
    const at = head[2] === 0x95 ? 11 : 2;
    if (LEGACY_MAGIC.every((b, i) => head[at + i] === b)) return 'legacy';
  }
  return null;
}

/**
 * Reads a file's first bytes and tells its format, without losing them: a stream that only goes
 * forward (a URL) gets a reader that replays them to the next read starting among them (the
 * safetensors header reader starts again at 0).
 */
export async function sniffFormat(reader: ByteReader): Promise<{ format: TorchFormat | null; head: Uint8Array; reader: ByteReader }> {
  const n = Math.min(FORMAT_PROBE_BYTES, reader.size ?? FORMAT_PROBE_BYTES);
  const head = (await reader.read(0, n)).slice();
  const format = torchFormatOf(head);
  if (!reader.sequential) return { format, head, reader };
  const replaying: ByteReader = {
    name: reader.name,
    size: reader.size,
    sequential: true,
    async read(offset, length) {
      if (offset >= n) return reader.read(offset, length);
      if (offset + length <= n) return head.slice(offset, offset + length);
      const out = new Uint8Array(length);
      out.set(head.subarray(offset));
      out.set(await reader.read(n, offset + length - n), n - offset);
      return out;
    },
    close: () => reader.close(),
  };
  return { format, head, reader: replaying };
}
