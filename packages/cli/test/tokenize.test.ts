import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sdtext-cli-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe('sdtext tokenize', () => {
  it('prints JSON rows padded to 77 by default', async () => {
    const { code, stdout } = await runCli(['tokenize', 'a highres photo of a woman wearing a red dress', '--json']);
    expect(code).toBe(0);
    const [row] = JSON.parse(stdout) as { text: string; tokens: string[]; ids: number[]; input_ids: number[]; attention_mask: number[] }[];
    expect(row!.tokens).toEqual(['a</w>', 'high', 'res</w>', 'photo</w>', 'of</w>', 'a</w>', 'woman</w>', 'wearing</w>', 'a</w>', 'red</w>', 'dress</w>']);
    expect(row!.ids).toEqual([320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595]);
    expect(row!.input_ids).toHaveLength(77);
    expect(row!.input_ids.slice(11, 14)).toEqual([2595, 49407, 0]);
    expect(row!.attention_mask.filter((m) => m === 1)).toHaveLength(13);
  });

  it('reads --input, pads to the longest with the SD1 tokenizer', async () => {
    const input = file('texts.json', JSON.stringify(['hello!', 'a photo of a cat']));
    const { code, stdout } = await runCli(['tokenize', '--input', input, '--tokenizer', 'sd1', '--padding', 'longest', '--json'], dir);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { input_ids: number[] }[];
    expect(rows.map((r) => r.input_ids)).toEqual([
      [49406, 3306, 256, 49407, 49407, 49407, 49407],
      [49406, 320, 1125, 539, 320, 2368, 49407],
    ]);
  });

  it('shows tokens with ids and warns about truncation', async () => {
    const { code, stdout, stderr } = await runCli(['tokenize', 'a ' + 'very '.repeat(100) + 'text']);
    expect(code).toBe(0);
    expect(stdout).toContain('a</w>(320) very</w>(1070)');
    expect(stdout).toContain('input_ids (77, 77 real');
    expect(stderr).toContain('warning: text 1 was truncated to 77 tokens; CLIP never sees the last 27: "very');
  });

  it('keeps long texts whole with --no-truncation and --padding none', async () => {
    const { stdout } = await runCli(['tokenize', 'word '.repeat(100), '--no-truncation', '--padding', 'none', '--json']);
    expect((JSON.parse(stdout) as { input_ids: number[] }[])[0]!.input_ids).toHaveLength(102);
  });

  it.each([
    { args: ['--input', 'missing.json'], code: 1, error: 'cannot read missing.json: no such file' },
    { args: ['--input', file('bad.json', '["a", ')], code: 1, error: 'bad.json is not valid JSON' },
    { args: ['--input', file('obj.json', '{"a": 1}')], code: 1, error: 'obj.json: expected a JSON array of strings, found an object' },
    { args: ['--input', file('mixed.json', '["a", 3, "b"]')], code: 1, error: 'mixed.json: entry 1 is a number, expected a string' },
    { args: ['a', '--colour'], code: 2, error: "Unknown option '--colour'" },
    { args: ['a', '--padding', 'max'], code: 2, error: '--padding must be max_length, longest or none, got "max"' },
    { args: ['a', '--max-length', '0'], code: 2, error: '--max-length must be a positive integer, got "0"' },
    { args: [], code: 2, error: 'give at least one TEXT or --input FILE' },
    { args: ['a', '--tokenizer', 'nowhere'], code: 1, error: '--tokenizer nowhere: not a preset (sd2, sd1) and not a folder' },
  ])('fails on $error', async ({ args, code, error }) => {
    const result = await runCli(['tokenize', ...args], dir);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(error);
  });
});

describe('sdtext decode', () => {
  it('decodes ids', async () => {
    const { code, stdout } = await runCli(['decode', '49406', '320', '1125', '539', '320', '2368', '49407']);
    expect(code).toBe(0);
    expect(stdout).toBe('<|startoftext|>a photo of a cat <|endoftext|>\n');
  });

  it('accepts a pasted Python list and skips special tokens', async () => {
    const { stdout } = await runCli(['decode', '--skip-special-tokens', '[49406, 320, 2368, 49407, 0, 0]']);
    expect(stdout).toBe('a cat\n');
  });

  it.each([
    { args: ['320', '49408'], code: 1, error: 'token id 49408 at position 1 is out of range: ids go from 0 to 49407' },
    { args: ['320', 'cat'], code: 2, error: '"cat" is not a token id (an integer)' },
    { args: [], code: 2, error: 'give at least one token ID' },
  ])('fails on $error', async ({ args, code, error }) => {
    const result = await runCli(['decode', ...args]);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(error);
  });
});

describe('sdtext', () => {
  it('lists commands and rejects unknown ones', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/tokenize\s+text -> CLIP tokens/);
    const unknown = await runCli(['tokenise']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "tokenise"');
  });
});
