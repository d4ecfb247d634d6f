// A file of its own: vitest gives it a fresh module graph, so no tfjs backend is registered yet.
import * as tf from '@tensorflow/tfjs-core';
import { hasRegisteredBackend } from '@sdtext/text-encoder';
import { expect, it } from 'vitest';
import { TextPipeline, disposeEmbeddings } from '../src/index.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { loadGolden, maxAbsDiff } from './helpers/golden.js';
import { tempDir } from './helpers/paths.js';

it('the onnx engine needs no tfjs backend for arrays, and starts cpu for tensor outputs', async () => {
  const root = await tempDir('onnx-tensors');
  const pipe = await TextPipeline.fromPretrained(await writeRepo(root.path, await fixtureRepo('sd2')), { engine: 'onnx' });
  try {
    const g = await loadGolden('sd2-tiny', 'pad77');
    const arrays = await pipe.encodePrompt({ prompt: g.texts, output: 'array' });
    expect(hasRegisteredBackend()).toBe(false);
    const tensors = await pipe.encodePrompt({ prompt: g.texts });
    expect(tf.getBackend()).toBe('cpu');
    expect(maxAbsDiff(tensors.promptEmbeds.dataSync(), arrays.promptEmbeds.data)).toBe(0);
    expect(maxAbsDiff(tensors.promptEmbeds.dataSync(), g.lastHiddenState)).toBeLessThan(1.3e-5); // measured 4.2e-6
    disposeEmbeddings(tensors);
  } finally {
    await pipe.dispose();
    await root.remove();
  }
});
