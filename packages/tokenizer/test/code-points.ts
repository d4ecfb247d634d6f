import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';
import { DROPPED, LETTERS, NUMBERS, SPACES } from '../src/word-classes.generated.js';

/**
 * Every code point, alone and in a few contexts, against Hugging Face's CLIPTokenizer as
 * scripts/code-point-reference.py reproduces it: the words of all of them (one hash per block of
 * code points) and the words and ids of every class boundary (BPE on a million new words is slow).
 */
interface CodePointReference {
  readonly blockSize: number;
  readonly contexts: Readonly<Record<string, string>>;
  readonly words: Readonly<Record<Mode, Readonly<Record<string, string>>>>;
  readonly ids: Readonly<Record<Mode, Readonly<Record<string, string>>>>;
}

type Mode = 'sd2' | 'sd1';

const reference = JSON.parse(
  readFileSync(new URL('./fixtures/code-points.json', import.meta.url), 'utf8'),
) as CodePointReference;
const HASH_HEX_DIGITS = 8;
const SURROGATES = [0xd800, 0xdfff] as const;

const isSurrogate = (cp: number) => cp >= SURROGATES[0] && cp <= SURROGATES[1];
const textOf = (template: string, cp: number) => template.replace('{c}', String.fromCodePoint(cp));

/** No word holds a space, so one line per text is unambiguous. */
const wordsRecord = (tokenizer: CLIPTokenizer, text: string) => `${tokenizer.preTokenize(text).join(' ')}\n`;
const idsRecord = (tokenizer: CLIPTokenizer, text: string) =>
  `${wordsRecord(tokenizer, text)}${tokenizer.encode(text, { addSpecialTokens: false }).inputIds.join(',')}\n`;

/** Ranges of the blocks whose words hash differs from the reference, as `--show` takes them. */
function differingBlocks(tokenizer: CLIPTokenizer, template: string, expected: string): string[] {
  const size = reference.blockSize;
  const differing: string[] = [];
  for (let first = 0; first < 0x110000; first += size) {
    const hash = createHash('sha256');
    let records = '';
    for (let cp = first; cp < first + size; cp++) if (!isSurrogate(cp)) records += wordsRecord(tokenizer, textOf(template, cp));
    const digest = hash.update(records).digest('hex').slice(0, HASH_HEX_DIGITS);
    const block = first / size;
    if (digest !== expected.slice(block * HASH_HEX_DIGITS, (block + 1) * HASH_HEX_DIGITS)) {
      differing.push(`${first.toString(16)} ${(first + size - 1).toString(16)}`);
    }
  }
  return differing;
}

/** The first and last code point of every run of one class, and their neighbours. */
function classBoundaries(): number[] {
  const runs = [LETTERS, NUMBERS, SPACES, DROPPED]
    .flatMap((ranges) => ranges.split(' '))
    .map((run): [number, number] => {
      const [first, last = first] = run.split('-').map((hex) => parseInt(hex, 16)) as [number, number?];
      return [first, last];
    });
  runs.push([...SURROGATES]);
  runs.sort((a, b) => a[0] - b[0]);
  // The gaps are runs of the negated class.
  let next = 0;
  for (const [first, last] of [...runs]) {
    if (first > next) runs.push([next, first - 1]);
    next = last + 1;
  }
  if (next <= 0x10ffff) runs.push([next, 0x10ffff]);
  const sample = new Set<number>();
  for (const [first, last] of runs) for (const cp of [first - 1, first, last, last + 1]) sample.add(cp);
  return [...sample].filter((cp) => cp >= 0 && cp <= 0x10ffff && !isSurrogate(cp)).sort((a, b) => a - b);
}

/** One test per context: words of every code point, words and ids of the class boundaries. */
export function testEveryCodePoint(mode: Mode): void {
  const tokenizer = CLIPTokenizer.fromPreset(mode);
  const sample = classBoundaries();
  it.each(Object.entries(reference.contexts))('%s (%j)', (context, template) => {
    const differing = differingBlocks(tokenizer, template, reference.words[mode][context]!);
    // `python3 scripts/code-point-reference.py --vocab DIR --show MODE CONTEXT FIRST LAST` lists a block.
    expect(differing, `blocks whose words differ (--show ${mode} ${context} FIRST LAST)`).toEqual([]);
    const hash = createHash('sha256');
    hash.update(sample.map((cp) => idsRecord(tokenizer, textOf(template, cp))).join(''));
    expect(hash.digest('hex').slice(0, HASH_HEX_DIGITS), `words and ids of ${sample.length} class boundaries`).toBe(
      reference.ids[mode][context],
    );
  }, 120_000);
}
