import { defineConfig } from 'vitest/config';

// The browser half of the tests: golden parity on onnxruntime-web in headless Debian chromium (test/browser/*.spec.ts),
// run after the Node tests by the package's `test` script. The page is bundled by esbuild inside
// the test, so only the test process needs the "@sdtext/source" condition.
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  test: { include: ['test/browser/**/*.spec.ts'], testTimeout: 30_000, hookTimeout: 150_000 },
});
