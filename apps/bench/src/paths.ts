import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** apps/bench/, whether running from src/ (vitest) or dist/ (node). */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));
/** Generated, gitignored files: the Hugging Face tokenizer folder the peers load. */
export const CACHE_DIR = `${BENCH_DIR}.cache/`;
export const RESULTS_DIR = `${BENCH_DIR}results/`;
/** The folder holding SD2's tokenizer in Hugging Face's formats, for the peers (hf-tokenizer-folder.ts writes it). */
export const HF_TOKENIZER_NAME = 'clip-sd2-tokenizer';
export const HF_TOKENIZER_DIR = `${CACHE_DIR}${HF_TOKENIZER_NAME}/`;
/** The random full-size SD2 text encoder that scripts/make-random-checkpoint.mjs writes (gitignored). */
export const SD2_RANDOM_DIR = `${REPO_DIR}models/generated/sd2-random`;
export const SD2_RANDOM_WEIGHTS = `${SD2_RANDOM_DIR}/text_encoder/model.fp16.safetensors`;
export const GOLDEN_CASES = `${REPO_DIR}models/fixtures/tokenizer/cases.json`;

interface GoldenCases {
  modes: Record<string, { results: { text: string; input_ids: number[] }[] }>;
}

/** The 169 golden prompts of SD2 mode (pad "!"), with the Python reference's input_ids. */
export function goldenPrompts(): { texts: string[]; referenceIds: number[][] } {
  const cases = JSON.parse(fs.readFileSync(GOLDEN_CASES, 'utf8')) as GoldenCases;
  const results = cases.modes['!']?.results;
  if (!results?.length) throw new Error(`${GOLDEN_CASES}: no results for mode "!"`);
  return { texts: results.map((r) => r.text), referenceIds: results.map((r) => r.input_ids) };
}

export function writeResult(name: string, result: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${name}.json`;
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
