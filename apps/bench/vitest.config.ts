import { defineConfig } from 'vitest/config';

// The smoke test runs against the workspace packages' TypeScript sources, like their own tests.
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  // Loading four tokenizer libraries takes seconds, more on a busy machine: hooks get the tests' time.
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
