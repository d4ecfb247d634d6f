/** A growable byte array for building UTF-8 text a few bytes at a time. */
export class ByteBuffer {
  private bytes: Uint8Array;
  length = 0;

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(Math.max(16, capacity));
  }

  push(byte: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = byte;
  }

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.bytes.length) this.grow(chunk.length);
    this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Whether the content ends with `suffix`. */
  endsWith(suffix: Uint8Array): boolean {
    if (suffix.length > this.length) return false;
    for (let i = 0; i < suffix.length; i++) {
      if (this.bytes[this.length - suffix.length + i] !== suffix[i]) return false;
    }
    return true;
  }

  /** A view of the content (valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}
