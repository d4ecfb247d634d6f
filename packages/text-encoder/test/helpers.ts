import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { type FileSource, type LoadProgress } from '@sdtext/core';
import { selectBackend, type BackendName } from '../src/index.js';

/** The golden fixtures, copied into the repo (tests never read ../shared). */
export const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/models/', import.meta.url));
export const MODELS = ['sd2-tiny', 'sd1-tiny'] as const;
export const CASES = ['pad77', 'pad77_masked', 'longest', 'noeos', 'single'] as const;

/**
 * The backends a numeric test runs on in Node, with the tolerance each one earns: about 3x the
 * largest error its float32 math reached over every golden case and output (golden.test.ts
 * prints them), as tfjs's own tests set TEST_EPSILON by the backend's float precision.
 */
export const NODE_BACKENDS: { name: BackendName; tolerance: number }[] = [
  { name: 'cpu', tolerance: 1.2e-5 }, // measured 3.8e-6 (sd2-tiny pad77_masked)
  { name: 'wasm', tolerance: 2e-5 }, // measured 6.4e-6 (sd1-tiny longest)
];

/**
 * tfjs's describeWithFlags, the vitest way: the same suite once per backend, the backend selected
 * before its tests run.
 */
export function describeEachBackend(
  title: string,
  body: (backend: { name: BackendName; tolerance: number }) => void,
  describe: (name: string, fn: () => void) => void,
  beforeAll: (fn: () => Promise<void>) => void,
): void {
  for (const backend of NODE_BACKENDS) {
    describe(`${title} [${backend.name}]`, () => {
      beforeAll(async () => {
        await selectBackend(backend.name);
      });
      body(backend);
    });
  }
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let m = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function tensorData(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** A FileSource over a folder, with config.json fields overridden (to test other eos_token_id rules). */
export function folderSource(dir: string, configOverrides: Record<string, unknown> = {}): FileSource {
  return {
    name: dir,
    async readText(p) {
      const full = path.join(dir, p);
      if (!fs.existsSync(full)) return null;
      const text = fs.readFileSync(full, 'utf8');
      if (p.endsWith('config.json') && Object.keys(configOverrides).length > 0) {
        return JSON.stringify({ ...JSON.parse(text), ...configOverrides });
      }
      return text;
    },
    async readBytes(p, onProgress?: (p: LoadProgress) => void) {
      const full = path.join(dir, p);
      if (!fs.existsSync(full)) return null;
      const bytes = new Uint8Array(fs.readFileSync(full));
      onProgress?.({ file: p, loaded: bytes.length, total: bytes.length });
      return bytes;
    },
  };
}
