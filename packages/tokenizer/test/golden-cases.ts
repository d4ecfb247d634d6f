import { readFileSync } from 'node:fs';

/** One prompt of models/fixtures/tokenizer/cases.json, made by the Python reference (see its README). */
export interface GoldenCase {
  text: string;
  fixed_text: string;
  tokens: string[];
  ids: number[];
  input_ids: number[];
  attention_mask: number[];
  n_ids_untruncated: number;
  decode: string;
  decode_skip_special: string;
  decode_no_cleanup: string;
}

export interface GoldenMode {
  pad_token: string;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  unk_token_id: number;
  max_length: number;
  results: GoldenCase[];
  batch_longest: { texts: string[]; input_ids: number[][]; attention_mask: number[][] };
}

export const golden = JSON.parse(
  readFileSync(new URL('../../../models/fixtures/tokenizer/cases.json', import.meta.url), 'utf8'),
) as { modes: Record<'!' | '<|endoftext|>', GoldenMode> };

/** The preset each golden mode was made with: SD2 pads with "!", SD1 with <|endoftext|>. */
export const MODES = [
  { preset: 'sd2', mode: golden.modes['!'] },
  { preset: 'sd1', mode: golden.modes['<|endoftext|>'] },
] as const;
