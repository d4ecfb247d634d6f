// The `onnx` option: @sdtext/onnx handed in by the app (a bundle cannot resolve the pipeline's own
// lazy import of the optional peer; see test/browser/onnx-bundle.spec.ts for the browser side).
import * as path from 'node:path';
import * as onnxPackage from '@sdtext/onnx';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineUnavailableError, TextPipeline, loadTextEncoder, type LoadedTextEncoder, type OnnxEngineModule } from '../src/index.js';
import { FIXTURES, loadCase, maxAbsDiff } from '../../onnx/test/helpers.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { tempDir } from './helpers/paths.js';

const SD2 = path.join(FIXTURES, 'sd2-tiny');
const loaded: { dispose(): Promise<void> }[] = [];
const keep = <T extends { dispose(): Promise<void> }>(x: T): T => (loaded.push(x), x);

/** A loader as an app writes it, counting its calls. */
function countingLoader(): { calls: number; load: () => Promise<OnnxEngineModule> } {
  const counter = {
    calls: 0,
    load: async () => {
      counter.calls += 1;
      return onnxPackage;
    },
  };
  return counter;
}

afterEach(async () => {
  for (const x of loaded.splice(0)) await x.dispose();
});

describe('options.onnx', () => {
  it('runs the onnx engine from the module the app hands in, imported only when the engine is tried', async () => {
    const loader = countingLoader();
    const tfjs = keep(await loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'tfjs', backend: 'cpu', onnx: loader.load }));
    expect(loader.calls).toBe(0);
    const onnx = keep(await loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'auto', onnx: loader.load }));
    expect(loader.calls).toBe(1);
    expect(onnx.engine).toBe('onnx');
    expect((onnx as LoadedTextEncoder).fallbackReason).toBeUndefined();
    // The module object itself works too.
    const direct = keep(await loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'onnx', onnx: onnxPackage }));
    const g = await loadCase('sd2-tiny', 'pad77_masked');
    const inputs = { inputIds: g.inputIds, attentionMask: g.attentionMask };
    const [a, b, c] = await Promise.all([onnx.encode(inputs), direct.encode(inputs), tfjs.encode(inputs)]);
    expect(maxAbsDiff(a.lastHiddenState.data, g.tensor('last_hidden_state').data)).toBeLessThan(1.3e-5); // measured 4.35e-6
    expect(maxAbsDiff(b.lastHiddenState.data, a.lastHiddenState.data)).toBe(0);
    expect(maxAbsDiff(c.lastHiddenState.data, a.lastHiddenState.data)).toBeLessThan(1.3e-5); // tfjs vs onnx: 4.3e-6
  });

  it("'auto' falls back to tfjs when the loader rejects (a chunk that cannot be fetched), saying why", async () => {
    const failing = (): Promise<OnnxEngineModule> => Promise.reject(new Error('Loading chunk 417 failed'));
    const encoder = keep(await loadTextEncoder(SD2, { subfolder: 'text_model', backend: 'cpu', onnx: failing }));
    expect(encoder.engine).toBe('tfjs');
    expect(encoder.fallbackReason).toBe('options.onnx could not load @sdtext/onnx (Loading chunk 417 failed)');
    await expect(loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'onnx', onnx: failing })).rejects.toThrow(EngineUnavailableError);
  });

  it('a value that is not @sdtext/onnx is a TypeError naming the fix, never a silent fallback', async () => {
    const wrong = (async () => ({ default: onnxPackage })) as unknown as () => Promise<OnnxEngineModule>;
    await expect(loadTextEncoder(SD2, { subfolder: 'text_model', onnx: wrong })).rejects.toThrow(
      /^options\.onnx must be @sdtext\/onnx or a function that imports it: \{ onnx: \(\) => import\('@sdtext\/onnx'\) \} \(got an object with default\)$/,
    );
  });

  it('TextPipeline passes it on from engineOptions', async () => {
    const loader = countingLoader();
    const dir = await tempDir('onnx-option');
    try {
      const repo = await writeRepo(dir.path, await fixtureRepo('sd2'));
      const pipe = keep(await TextPipeline.fromPretrained(repo, { engine: 'auto', engineOptions: { onnx: loader.load } }));
      expect(loader.calls).toBe(1);
      expect(pipe.engine).toBe('onnx');
    } finally {
      await dir.remove();
    }
  });
});
