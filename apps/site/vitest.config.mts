import { defineConfig } from 'vitest/config';

// Unit tests for the cells' printing, plus the end-to-end browser test (test/e2e.test.ts), which
// serves the built site and runs every cell in Debian chromium on WebGL and WebGPU.
// Workspace packages resolve to their sources here (the "@sdtext/source" condition).
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
