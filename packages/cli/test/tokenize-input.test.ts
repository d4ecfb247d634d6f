import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sdtext-cli-input-'));
const BOM = '\uFEFF';

/** Stands in for standard input, in chunks as a pipe delivers them. */
function pipeStdin(...chunks: (string | Buffer)[]): void {
  vi.spyOn(process, 'stdin', 'get').mockReturnValue(Readable.from(chunks) as unknown as typeof process.stdin);
}

const inputIds = (stdout: string) => (JSON.parse(stdout) as { input_ids: number[] }[]).map((row) => row.input_ids);

describe('sdtext tokenize --input', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the JSON list from standard input with -', async () => {
    pipeStdin('["hello!", ', Buffer.from('"a photo of a cat"]\n'));
    const { code, stdout, stderr } = await runCli(['tokenize', '--input', '-', '--tokenizer', 'sd1', '--padding', 'longest', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(inputIds(stdout)).toEqual([
      [49406, 3306, 256, 49407, 49407, 49407, 49407],
      [49406, 320, 1125, 539, 320, 2368, 49407],
    ]);
  });

  it('puts TEXT arguments before the texts from standard input', async () => {
    pipeStdin('["a cat"]');
    const { stdout } = await runCli(['tokenize', 'hello', '--input', '-', '--padding', 'none', '--json']);
    expect((JSON.parse(stdout) as { text: string }[]).map((row) => row.text)).toEqual(['hello', 'a cat']);
  });

  it('accepts a UTF-8 byte order mark in a file and on standard input', async () => {
    writeFileSync(join(dir, 'bom.json'), BOM + JSON.stringify(['a photo of a cat']));
    const fromFile = await runCli(['tokenize', '--input', 'bom.json', '--padding', 'none', '--json'], dir);
    expect(fromFile.stderr).toBe('');
    expect(inputIds(fromFile.stdout)).toEqual([[49406, 320, 1125, 539, 320, 2368, 49407]]);
    // The BOM's three bytes split across chunks, as a pipe may deliver them.
    pipeStdin(Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), '["a cat"]');
    const fromStdin = await runCli(['tokenize', '--input', '-', '--padding', 'none', '--json']);
    expect(inputIds(fromStdin.stdout)).toEqual([[49406, 320, 2368, 49407]]);
  });

  it('keeps a BOM inside a text: only the one starting the input is dropped', async () => {
    pipeStdin(BOM + JSON.stringify([BOM + 'a']));
    const { stdout } = await runCli(['tokenize', '--input', '-', '--padding', 'none', '--json']);
    expect((JSON.parse(stdout) as { text: string }[])[0]!.text).toBe(BOM + 'a');
  });

  it.each([
    { stdin: '["a", ', error: 'standard input is not valid JSON' },
    { stdin: '', error: 'standard input is not valid JSON' },
    { stdin: '{"a": 1}', error: 'standard input: expected a JSON array of strings, found an object' },
    { stdin: '["a", 3]', error: 'standard input: entry 1 is a number, expected a string' },
  ])('names standard input in errors: $error', async ({ stdin, error }) => {
    pipeStdin(stdin);
    const { code, stderr } = await runCli(['tokenize', '--input', '-']);
    expect(code).toBe(1);
    expect(stderr).toContain(error);
  });
});
