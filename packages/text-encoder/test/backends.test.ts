import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendSelectionError, defaultBackendOrder, selectBackend, type BackendName } from '../src/index.js';

describe('selectBackend', () => {
  it('defaults to wasm, cpu in Node; the wasm backend finds its .wasm file itself', async () => {
    expect(defaultBackendOrder()).toEqual(['wasm', 'cpu']);
    expect(await selectBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const t = tf.erf(tf.tensor1d([0.5]));
    expect(t.dataSync()[0]).toBeCloseTo(0.5204998778, 6);
    t.dispose();
  });

  it('takes one name or an ordered list', async () => {
    expect(await selectBackend('cpu')).toBe('cpu');
    expect(await selectBackend(['wasm', 'cpu'])).toBe('wasm');
  });

  it('reports everything it tried when nothing starts', async () => {
    const err = await selectBackend(['tpu' as BackendName, 'webgpu']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendSelectionError);
    const attempts = (err as BackendSelectionError).attempts;
    expect(attempts.map((a) => a.backend)).toEqual(['tpu', 'webgpu']);
    expect(attempts[0]!.reason).toBe('unknown backend');
    expect(attempts[1]!.reason.length).toBeGreaterThan(0);
    expect((err as Error).message).toMatch(/no tfjs backend could be started; tried:\n {2}tpu: unknown backend\n {2}webgpu: .+\nvalid backends: webgpu, webgl, wasm, cpu/);
  });
});
