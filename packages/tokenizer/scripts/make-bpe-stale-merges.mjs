#!/usr/bin/env node
// Reference ids for words whose BPE merges leave stale heap entries behind (a merge consumes a
// symbol that a queued pair still names): the BPE must skip those pairs. Made by Hugging Face's
// Rust `tokenizers` (the code behind CLIPTokenizerFast) on the CLIP tokenizer.json that
// apps/bench writes from the hub's vocab.json and merges.txt; these words are ASCII punctuation,
// where the fast and the slow (ftfy) tokenizers agree. A mutation survivor (bpe.ts, the marker of
// a merged-away slot) showed no golden prompt had such a word.
//
//   pnpm --filter @sdtext/bench bench:tokenizer   # once: writes apps/bench/.cache/clip-sd2-tokenizer
//   node packages/tokenizer/scripts/make-bpe-stale-merges.mjs > packages/tokenizer/test/fixtures/bpe-stale-merges.json
/* global console */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(join(root, 'apps/bench/package.json'));
const { Tokenizer } = require('tokenizers');
const tokenizerJson = join(root, 'apps/bench/.cache/clip-sd2-tokenizer/tokenizer.json');
const version = require('tokenizers/package.json').version;

const WORDS = ['."\'', '."(', '."/', '.";', '."[', ':"\'', ':"[', '."""', '"."\'', 'a."\'b', '!"\'', '?"\'', ',"\'', '\'."\''];
const tokenizer = Tokenizer.fromFile(tokenizerJson);
const cases = [];
for (const text of WORDS) {
  const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
  cases.push({ text, ids: encoding.getIds() });
}
console.log(JSON.stringify({ generator: 'packages/tokenizer/scripts/make-bpe-stale-merges.mjs', reference: `tokenizers ${version} (Rust), CLIP tokenizer.json`, cases }, null, 1));
