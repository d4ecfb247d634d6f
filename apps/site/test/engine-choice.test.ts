// What `auto` tries, in which order, and the reason the bar shows (src/lib/engine-choice.ts).
import { describe, expect, it } from 'vitest';
import { SD2_TEXT_CONFIG } from '@sdtext/text-encoder';
import { modelSize, planLoad, type Platform } from '../src/lib/engine-choice';

const demo = modelSize({ hidden_size: 32, intermediate_size: 128, num_hidden_layers: 2 });
const sd2 = modelSize(SD2_TEXT_CONFIG);
const isolated: Platform = { isolated: true, cores: 2, webgpu: 'software' };
const plain: Platform = { isolated: false, cores: 2, webgpu: 'none' };

describe('planLoad', () => {
  it('auto: TensorFlow.js on wasm for the demo model, ONNX Runtime Web second', () => {
    const plan = planLoad('auto', 'auto', demo, isolated);
    expect(plan.attempts.map((a) => a.engine)).toEqual(['tfjs', 'onnx']);
    expect(plan.attempts[0]?.backends[0]).toBe('wasm');
    expect(plan.reason).toMatch(/^auto chose TensorFlow\.js because this model is small \(25 k layer weights, under 10 M\)/);
    expect(plan.reason).toContain('backend wasm, 2 threads (the page is cross-origin isolated)');
  });

  it('auto: ONNX Runtime Web for SD2, on wasm where WebGPU is a software adapter, tfjs second', () => {
    const plan = planLoad('auto', 'auto', sd2, isolated);
    expect(plan.attempts.map((a) => a.engine)).toEqual(['onnx', 'tfjs']);
    expect(plan.attempts[0]?.backends).toEqual(['wasm', 'webgpu']);
    expect(plan.reason).toMatch(/^auto chose ONNX Runtime Web because this model is large \(289 M layer weights\)/);
    expect(plan.reason).toContain('SwiftShader');
    expect(planLoad('auto', 'auto', sd2, { ...isolated, webgpu: 'hardware' }).attempts[0]?.backends).toEqual(['webgpu', 'wasm']);
  });

  it('says when the page is not isolated (one wasm thread)', () => {
    expect(planLoad('onnx', 'auto', sd2, plain).reason).toContain('one thread (the page is not cross-origin isolated');
  });

  it('a backend only tfjs has decides the engine; one ONNX Runtime Web lacks is noted and auto used', () => {
    expect(planLoad('auto', 'webgl', sd2, isolated).attempts[0]).toEqual({ engine: 'tfjs', backends: ['webgl', 'webgpu', 'wasm', 'cpu'] });
    const onnxWebgl = planLoad('onnx', 'webgl', demo, isolated);
    expect(onnxWebgl.attempts).toEqual([{ engine: 'onnx', backends: ['wasm', 'webgpu'] }]);
    expect(onnxWebgl.notes).toEqual(['webgl: not a backend of ONNX Runtime Web (it has webgpu, wasm), so auto']);
  });

  it('an explicit engine and backend: that one first, the engine\'s others after, no reason to show', () => {
    const plan = planLoad('tfjs', 'webgpu', demo, isolated);
    expect(plan.attempts).toEqual([{ engine: 'tfjs', backends: ['webgpu', 'webgl', 'wasm', 'cpu'] }]);
    expect(plan.reason).toBeNull();
  });
});
