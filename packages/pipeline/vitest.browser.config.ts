import { defineConfig } from 'vitest/config';

// The browser half of the tests (test/browser/*.spec.ts): the package bundled by esbuild and run in
// headless Debian chromium against the fake hub. Run after the Node tests by the `test` script.
export default defineConfig({
  resolve: { conditions: ['@sdtext/source'] },
  ssr: { resolve: { conditions: ['@sdtext/source'] } },
  test: { include: ['test/browser/**/*.spec.ts'], testTimeout: 60_000, hookTimeout: 150_000 },
});
