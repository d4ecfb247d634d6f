import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant (stryker.config.mjs): the rules of @sdtext/prompt
// (chunking, emphasis, the three parsers, schedules) and of @sdtext/tokenizer (BPE, the
// pre-tokenizer, text cleaning), each against its reference fixtures. Tests that load an encoder
// or walk every code point (minutes per mutant) are left to `pnpm test`.
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  test: {
    include: [
      'packages/prompt/test/a1111-parsers.test.ts',
      'packages/prompt/test/comfy-parser.test.ts',
      'packages/prompt/test/compel-parser.test.ts',
      'packages/prompt/test/boundaries.test.ts',
      'packages/prompt/test/embedding-chunks.test.ts',
      'packages/tokenizer/test/golden.test.ts',
      'packages/tokenizer/test/api.test.ts',
      'packages/tokenizer/test/bpe-trace.test.ts',
      'packages/tokenizer/test/bpe-stale-merges.test.ts',
      'packages/tokenizer/test/pre-tokenizer.test.ts',
      'packages/tokenizer/test/seed.test.ts',
      'packages/tokenizer/test/robustness.test.ts',
    ],
    testTimeout: 60_000,
  },
});
