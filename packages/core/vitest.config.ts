import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the "@sdtext/source" export condition),
// so tests never need a build of their dependencies.
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
