import * as path from 'node:path';
import { CheckpointError } from '@sdtext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTextEncoder, type LoadedTextEncoder } from '../src/index.js';
import { FIXTURES, loadCase, maxAbsDiff } from '../../onnx/test/helpers.js';

const SD2 = path.join(FIXTURES, 'sd2-tiny');

describe('loadTextEncoder', () => {
  const engines: Record<string, LoadedTextEncoder> = {};
  beforeAll(async () => {
    engines['onnx'] = await loadTextEncoder(SD2, { subfolder: 'text_model_with_projection', engine: 'onnx' });
    engines['tfjs'] = await loadTextEncoder(SD2, { subfolder: 'text_model_with_projection', engine: 'tfjs', backend: 'cpu' });
    engines['auto'] = await loadTextEncoder(SD2, { subfolder: 'text_model_with_projection' });
  });
  afterAll(async () => {
    for (const e of Object.values(engines)) await e.dispose();
  });

  it('picks the engine asked for, and onnx for auto in Node', () => {
    expect(engines['onnx']!.engine).toBe('onnx');
    expect(engines['onnx']!.backend).toMatch(/^onnxruntime-node \(cpu, \d+ threads\)$/);
    expect(engines['tfjs']!.engine).toBe('tfjs');
    expect(engines['tfjs']!.backend).toBe('tfjs (cpu)');
    expect(engines['auto']!.engine).toBe('onnx');
    expect(engines['auto']!.fallbackReason).toBeUndefined();
  });

  it('gives the same outputs on both engines (textEmbeds and hidden states included)', async () => {
    const g = await loadCase('sd2-tiny', 'pad77_masked');
    const inputs = { inputIds: g.inputIds, attentionMask: g.attentionMask, outputHiddenStates: true };
    const a = await engines['onnx']!.encode(inputs);
    const b = await engines['tfjs']!.encode(inputs);
    expect(a.lastHiddenState.dims).toEqual(b.lastHiddenState.dims);
    // About 3x what was measured: 4.3e-6, 1.55e-6, 1.55e-6, hidden states 3.8e-6.
    expect(maxAbsDiff(a.lastHiddenState.data, b.lastHiddenState.data)).toBeLessThan(1.3e-5);
    expect(maxAbsDiff(a.textEmbeds!.data, b.textEmbeds!.data)).toBeLessThan(4.7e-6);
    expect(maxAbsDiff(a.textEmbeds!.data, g.tensor('text_embeds').data)).toBeLessThan(4.7e-6);
    expect(a.hiddenStates).toHaveLength(3);
    a.hiddenStates!.forEach((h, i) => expect(maxAbsDiff(h.data, b.hiddenStates![i]!.data)).toBeLessThan(1.2e-5));
  });

  it('rejects an unknown engine by listing the valid ones', async () => {
    await expect(loadTextEncoder(SD2, { engine: 'torch' as 'onnx' })).rejects.toThrow(/engine must be one of "tfjs", "onnx", "auto"/);
  });

  it("dtype 'q8' runs on onnx only: refused on tfjs rather than quietly exact", async () => {
    await expect(loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'tfjs', dtype: 'q8' })).rejects.toThrow(/dtype "q8" runs on the onnx engine only/);
    const q8 = await loadTextEncoder(SD2, { subfolder: 'text_model', engine: 'auto', dtype: 'q8' });
    try {
      expect(q8.engine).toBe('onnx');
    } finally {
      await q8.dispose();
    }
  });

  it('reports checkpoint problems as the tfjs loader does, without falling back', async () => {
    await expect(loadTextEncoder(SD2, { subfolder: 'text_model', variant: 'fp16' })).rejects.toThrow(CheckpointError);
    await expect(loadTextEncoder(path.join(SD2, 'nowhere'))).rejects.toThrow(/no config\.json/);
  });
});

