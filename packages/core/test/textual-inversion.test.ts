import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_TEXTUAL_INVERSION_BYTES, TextualInversionError, readTextualInversion, serializeSafetensors } from '../src/index.js';

const EXTRAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/fixtures/checkpoint-extras');

/** A real Blob that counts the bytes sliced out of it: what the reader actually read. */
class CountingBlob extends Blob {
  bytesRead = 0;
  override slice(start?: number, end?: number, contentType?: string): Blob {
    this.bytesRead += (end ?? this.size) - (start ?? 0);
    return super.slice(start, end, contentType);
  }
}

describe('textual inversion files are read lazily, with a size cap', () => {
  it('refuses a 3 GB (sparse) file at once, naming it and the cap, before reading it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sdtext-ti-'));
    try {
      const file = path.join(dir, 'huge-embedding.pt');
      const handle = await open(file, 'w');
      await handle.truncate(3 * 1024 ** 3); // a hole: no disk used
      await handle.close();
      const error = await readTextualInversion(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TextualInversionError);
      expect((error as Error).message).toBe(
        `${file}: 3221225472 bytes, over the ${MAX_TEXTUAL_INVERSION_BYTES} bytes (128 MiB) of any textual inversion file (they are kB to MB): a model checkpoint?`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the header and only the tensors it uses from a safetensors file', async () => {
    const clipL = Float32Array.from({ length: 8 }, (_, i) => i);
    const clipG = Float32Array.from({ length: 16 }, (_, i) => -i);
    const bytes = serializeSafetensors({
      clip_l: { shape: [1, 8], data: clipL },
      unused: { shape: [1_000_000], data: new Float32Array(1_000_000).fill(NaN) },
      clip_g: { shape: [1, 16], data: clipG },
    });
    const blob = new CountingBlob([bytes]);
    const ti = await readTextualInversion(blob, { name: 'xl.safetensors' });
    expect([...ti.vectors.keys()]).toEqual(['text_encoder', 'text_encoder_2']);
    expect(ti.vectors.get('text_encoder')!.data).toEqual(clipL);
    expect(ti.vectors.get('text_encoder_2')!.data).toEqual(clipG);
    expect(blob.bytesRead).toBeLessThan(1000); // of 4 MB
  });

  it('still reads a .pt from a stream that cannot go backwards (a URL), buffered under the cap', async () => {
    const body = await readFile(path.join(EXTRAS, 'ti-my-style.pt'));
    const server = createServer((_, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ti-my-style.pt`;
      const ti = await readTextualInversion(url);
      expect(ti.token).toBe('my-style');
      const fromFile = await readTextualInversion(path.join(EXTRAS, 'ti-my-style.pt'));
      expect(ti.vectors.get('text_encoder')!.data).toEqual(fromFile.vectors.get('text_encoder')!.data);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});
