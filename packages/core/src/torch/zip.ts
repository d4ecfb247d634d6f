import type { ByteReader } from '../safetensors/byte-reader.js';
import { TorchFileError } from './errors.js';

/**
 * The zip container of torch.save (stored entries only: torch.save writes them uncompressed, zip64
 * for large files). Every length and offset is checked against the file before it is used, so a
 * broken or hostile directory is a TorchFileError naming the file and the offset, never a read past
 * the end or a huge allocation.
 */

export interface ZipEntry {
  name: string;
  method: number;
  size: number;
  compressedSize: number;
  localHeader: number;
}

/** A real torch zip's directory is ~100 bytes per tensor; more than this is not one. */
export const MAX_ZIP_DIRECTORY_BYTES = 64 * 1024 * 1024;

const EOCD_BYTES = 22;
const CD_ENTRY_BYTES = 46;
const LOCAL_HEADER_BYTES = 30;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_RECORD_BYTES = 56;
const U32_MAX = 0xffffffff;

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
/** A u64 as a number: exact to 2^53, and anything larger fails the checks against the file size. */
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 0x100000000;

export async function readZipDirectory(reader: ByteReader): Promise<Map<string, ZipEntry>> {
  const where = reader.name;
  const size = reader.size;
  if (size === null) throw new TorchFileError(`${where}: size unknown; a torch file is read from its end`);
  if (size < EOCD_BYTES) throw new TorchFileError(`${where}: not a torch zip file (${size} bytes)`);
  const tailLength = Math.min(size, EOCD_BYTES + 65535 + ZIP64_LOCATOR_BYTES);
  const tailStart = size - tailLength;
  const tail = await reader.read(tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const pickle = (await reader.read(0, 2))[0] === 0x80;
    throw new TorchFileError(
      `${where}: not a zip file` + (pickle ? ": a bare pickle, without a legacy torch.save file's magic number: not a torch file" : ''),
    );
  }
  const bad = (message: string, at: number): never => {
    throw new TorchFileError(`${where}: ${message} (zip offset ${at})`);
  };
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const locator = eocd - ZIP64_LOCATOR_BYTES;
    if (locator < 0 || u32(tail, locator) !== 0x07064b50) bad('zip64 end record locator missing', tailStart + eocd);
    const recordAt = u64(tail, locator + 8);
    if (recordAt + ZIP64_RECORD_BYTES > size) bad(`zip64 end record at ${recordAt} lies past the end (${size} bytes)`, tailStart + locator);
    const record = await reader.read(recordAt, ZIP64_RECORD_BYTES);
    if (u32(record, 0) !== 0x06064b50) bad('bad zip64 end record', recordAt);
    count = u64(record, 32);
    cdSize = u64(record, 40);
    cdOffset = u64(record, 48);
  }
  if (cdOffset + cdSize > size) bad(`zip central directory [${cdOffset}, +${cdSize}) runs past the end (${size} bytes)`, tailStart + eocd);
  if (cdSize > MAX_ZIP_DIRECTORY_BYTES) bad(`zip central directory of ${cdSize} bytes, over the ${MAX_ZIP_DIRECTORY_BYTES} a torch file needs`, cdOffset);
  if (count * CD_ENTRY_BYTES > cdSize) bad(`zip directory claims ${count} entries but has room for ${Math.floor(cdSize / CD_ENTRY_BYTES)}`, tailStart + eocd);
  const cd = await reader.read(cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + CD_ENTRY_BYTES > cd.length || u32(cd, at) !== 0x02014b50) bad('bad zip directory entry', cdOffset + at);
    const method = u16(cd, at + 10);
    let compressedSize = u32(cd, at + 20);
    let entrySize = u32(cd, at + 24);
    const nameLength = u16(cd, at + 28);
    const extraLength = u16(cd, at + 30);
    const commentLength = u16(cd, at + 32);
    let localHeader = u32(cd, at + 42);
    const nameAt = at + CD_ENTRY_BYTES;
    const extraEnd = nameAt + nameLength + extraLength;
    if (extraEnd + commentLength > cd.length) bad('zip directory entry runs past the directory', cdOffset + at);
    const name = decoder.decode(cd.subarray(nameAt, nameAt + nameLength));
    // zip64 extra field: the 64-bit values of the fields that hold 0xffffffff, in this order.
    let extra = nameAt + nameLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(cd, extra);
      const fieldEnd = extra + 4 + u16(cd, extra + 2);
      if (fieldEnd > extraEnd) bad(`zip extra field of ${name} runs past its entry`, cdOffset + extra);
      if (id === 0x0001) {
        let p = extra + 4;
        const next = (): number => {
          if (p + 8 > fieldEnd) bad(`zip64 extra field of ${name} is too short`, cdOffset + extra);
          p += 8;
          return u64(cd, p - 8);
        };
        if (entrySize === U32_MAX) entrySize = next();
        if (compressedSize === U32_MAX) compressedSize = next();
        if (localHeader === U32_MAX) localHeader = next();
      }
      extra = fieldEnd;
    }
    entries.set(name, { name, method, size: entrySize, compressedSize, localHeader });
    at = extraEnd + commentLength;
  }
  return entries;
}

/** Where a stored entry's bytes start, checked to lie inside the file. */
export async function storedEntryStart(reader: ByteReader, entry: ZipEntry): Promise<number> {
  const where = reader.name;
  const size = reader.size ?? 0;
  if (entry.method !== 0) {
    throw new TorchFileError(`${where}: ${entry.name} is compressed (zip method ${entry.method}); torch.save stores entries uncompressed`);
  }
  if (entry.compressedSize !== entry.size) throw new TorchFileError(`${where}: ${entry.name}: stored entry with mismatched sizes (${entry.compressedSize} and ${entry.size})`);
  if (entry.localHeader + LOCAL_HEADER_BYTES > size) {
    throw new TorchFileError(`${where}: zip local header of ${entry.name} at offset ${entry.localHeader} lies past the end (${size} bytes)`);
  }
  const local = await reader.read(entry.localHeader, LOCAL_HEADER_BYTES);
  if (u32(local, 0) !== 0x04034b50) throw new TorchFileError(`${where}: bad zip local header of ${entry.name} at offset ${entry.localHeader}`);
  const start = entry.localHeader + LOCAL_HEADER_BYTES + u16(local, 26) + u16(local, 28);
  if (start + entry.size > size) {
    throw new TorchFileError(`${where}: ${entry.name}'s ${entry.size} bytes at offset ${start} run past the end of the file (${size} bytes)`);
  }
  return start;
}

/** A stored entry's bytes, refused (before reading) when over `maxBytes`. */
export async function readStoredEntry(reader: ByteReader, entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
  const start = await storedEntryStart(reader, entry);
  if (entry.size > maxBytes) throw new TorchFileError(`${reader.name}: ${entry.name} is ${entry.size} bytes, over the ${maxBytes} read for it`);
  return reader.read(start, entry.size);
}
