// Mutation check of the rules that have a reference (issue 20): `pnpm mutation`.
// Stryker changes one operator or constant at a time in the files below and runs the tests of
// vitest.mutation.config.ts that cover it; a mutant no test notices "survives". The score and
// the survivors are written down in docs/parity.md. Run from the repository root, so the
// sandbox keeps the repository layout the tests' fixture paths assume.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'packages/prompt/src/a1111/chunks.ts',
    'packages/prompt/src/a1111/emphasis.ts',
    'packages/prompt/src/a1111/parse-attention.ts',
    'packages/prompt/src/a1111/schedules.ts',
    'packages/prompt/src/a1111/multicond.ts',
    'packages/prompt/src/comfy/parse-weights.ts',
    'packages/prompt/src/comfy/tokenize.ts',
    'packages/tokenizer/src/bpe.ts',
    'packages/tokenizer/src/pre-tokenizer.ts',
    'packages/tokenizer/src/clean-text.ts',
    'packages/tokenizer/src/byte-encoder.ts',
  ],
  // Only what those tests read is copied into the sandbox (the repository holds 3 GB of models).
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/vitest.mutation.config.ts',
    '!/packages',
    '/packages/*',
    '!/packages/prompt',
    '!/packages/tokenizer',
    '!/models',
    '/models/*',
    '!/models/fixtures',
    '/models/fixtures/*',
    '!/models/fixtures/tokenizer',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A mutant that loops (BPE's heap, the chunk loop) is stopped this long after the tests' own time.
  timeoutMS: 5_000,
  ignoreStatic: true,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'artifacts/mutation/mutation.json' },
  thresholds: { high: 90, low: 80 },
};
