import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { T5Tokenizer } from '../../src/t5/index.js';

/** models/fixtures/t5-tokenizer (see its README.md and packages/tokenizer/scripts/t5/). */
export const FIXTURES = fileURLToPath(new URL('../../../../models/fixtures/t5-tokenizer/', import.meta.url));

/** The two small T5-style models: without byte fallback (as T5) and with it. */
export const MODELS = ['t5-nobf', 't5-bf'] as const;
export type ModelName = (typeof MODELS)[number];

export const PROMPTS: readonly string[] = JSON.parse(readFileSync(FIXTURES + 'prompts.json', 'utf8')) as string[];

export function tokenizerJsonText(model: ModelName): string {
  return readFileSync(`${FIXTURES}${model}/tokenizer.json`, 'utf8');
}

export function spieceModel(model: ModelName): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${model}/spiece.model`));
}

/** Ours from tokenizer.json (T5TokenizerFast). */
export function fastTokenizer(model: ModelName, json = tokenizerJsonText(model)): T5Tokenizer {
  return T5Tokenizer.fromTokenizerJson(json, { nameOrPath: model });
}

/** Ours from spiece.model (the slow T5Tokenizer). */
export function slowTokenizer(model: ModelName): T5Tokenizer {
  return T5Tokenizer.fromSentencePiece(spieceModel(model), { nameOrPath: model });
}

/** The version of the npm binding the fast path is held to (docs/t5-tokenizer.md). */
export const RUST_TOKENIZERS_VERSION = '0.23.2';
export const installedRustTokenizersVersion = (createRequire(import.meta.url)('tokenizers/package.json') as { version: string }).version;

/** The reference for tokenizer.json: the Rust `tokenizers` through its npm binding. */
export function rustTokenizer(model: ModelName, json = tokenizerJsonText(model)): Tokenizer {
  return Tokenizer.fromString(json);
}

/** One prompt's outputs of transformers' slow T5Tokenizer (scripts/t5/slow-reference.py). */
export interface SlowCase {
  input_ids: number[];
  tokens?: string[];
  truncated_256?: { prefix: number; then: number[] };
  truncated_512?: { prefix: number; then: number[] };
  decode: string;
  decode_skip_special?: string;
  decode_no_cleanup?: string;
}

export interface SlowExpected {
  reference: string;
  prompts: number;
  models: Record<ModelName, { cases: SlowCase[]; decodes: { ids: number[]; decode: string; decode_skip_special: string }[] }>;
}

export const SLOW_EXPECTED: SlowExpected = JSON.parse(readFileSync(FIXTURES + 'slow-expected.json', 'utf8')) as SlowExpected;

/** transformers' clean_up_tokenization, which T5TokenizerFast.decode applies after the Rust decode. */
export function hfCleanUp(text: string): string {
  for (const [from, to] of [
    [' .', '.'],
    [' ?', '?'],
    [' !', '!'],
    [' ,', ','],
    [" ' ", "'"],
    [" n't", "n't"],
    [" 'm", "'m"],
    [" 's", "'s"],
    [" 've", "'ve"],
    [" 're", "'re"],
  ] as const) {
    text = text.replaceAll(from, to);
  }
  return text;
}

/** A copy of a tokenizer.json with `edit` applied to its parsed form. */
export function editedTokenizerJson(model: ModelName, edit: (json: Record<string, unknown>) => void): string {
  const json = JSON.parse(tokenizerJsonText(model)) as Record<string, unknown>;
  edit(json);
  return JSON.stringify(json);
}

/**
 * Random texts with the slow T5Tokenizer's ids (scripts/t5/slow-reference.py) for each model and
 * for `t5-variant`: t5-bf with user-defined and unused pieces and no charsmap (the identity
 * normalizer), which T5's models do not have.
 */
export const SLOW_RANDOM = JSON.parse(readFileSync(FIXTURES + 'slow-random.json', 'utf8')) as {
  texts: string[];
  ids: Record<ModelName | 't5-variant', number[][]>;
};
