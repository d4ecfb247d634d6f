import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, toNumbers, type EncodeInputs, type EncodeOutputs, type FloatTensor } from '@sdtext/core';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { addTextualInversions, loadTextEncoder, type LoadedTextEncoder } from '../src/index.js';
import { maxAbsDiff } from './helpers/golden.js';
import { fixturesDir, tinyModelDir } from './helpers/paths.js';

// inputsEmbeds (HF's inputs_embeds) on both engines, against the torch reference of diffusers'
// load_textual_inversion (scripts/make-checkpoint-extras-fixtures.py): the plain sd1-tiny model with
// the embeddings given as rows must equal the model whose token table grew by them, ids included
// (pooling at argmax of the real ids, added ones too).
const EXTRAS = join(fixturesDir, 'checkpoint-extras');
const TI = [join(EXTRAS, 'ti-cat-toy.safetensors'), join(EXTRAS, 'ti-my-style.pt'), join(EXTRAS, 'ti-dog.bin')];

interface EmbedsEngine {
  encode(inputs: EncodeInputs & { inputsEmbeds?: FloatTensor | null }): Promise<EncodeOutputs>;
  embedTokens(ids: EncodeInputs['inputIds']): Promise<FloatTensor>;
}

describe.each(['tfjs', 'onnx'] as const)('inputsEmbeds on %s', (engineName) => {
  let engine: LoadedTextEncoder & EmbedsEngine;
  beforeAll(async () => {
    engine = (await loadTextEncoder(join(tinyModelDir('sd1-tiny'), 'text_model'), { engine: engineName, backend: 'cpu' })) as LoadedTextEncoder & EmbedsEngine;
  });
  afterAll(async () => engine.dispose());

  it('embedTokens then inputsEmbeds gives what the ids give', async () => {
    const ids = [[49406, 320, 1125, 539, 320, 2368, 49407, ...new Array<number>(70).fill(49407)]];
    const plain = await engine.encode({ inputIds: ids, outputHiddenStates: true });
    const tokens = await engine.embedTokens(ids);
    expect(tokens.dims).toEqual([1, 77, 32]);
    const given = await engine.encode({ inputIds: ids, inputsEmbeds: tokens, outputHiddenStates: true });
    expect(maxAbsDiff(given.lastHiddenState.data, plain.lastHiddenState.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(given.poolerOutput.data, plain.poolerOutput.data)).toBeLessThan(1e-6);
    expect(given.hiddenStates).toHaveLength(3);
  });

  it("rows given for added tokens equal diffusers' grown token table, pooled at argmax of the ids", async () => {
    const file = await loadSafetensors(join(EXTRAS, 'sd1_ti.safetensors'));
    const idsTensor = file.tensors.get('input_ids')!;
    const [b, s] = idsTensor.shape as [number, number];
    const flat = toNumbers(idsTensor.data);
    const ids = Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
    const rows = (await addTextualInversions(TI, new Map([['text_encoder', CLIPTokenizer.fromPreset('sd1')]]))).get('text_encoder')!;
    const vocab = engine.config.vocab_size;
    expect(ids.flat().some((id) => id >= vocab)).toBe(true);
    const embeds = await engine.embedTokens(ids.map((r) => r.map((id) => (id >= vocab ? 0 : id))));
    ids.flat().forEach((id, at) => {
      if (id >= vocab) embeds.data.set(rows.data.subarray((id - vocab) * rows.dim, (id - vocab + 1) * rows.dim), at * rows.dim);
    });
    const out = await engine.encode({ inputIds: ids, inputsEmbeds: embeds });
    const lhs = file.tensors.get('last_hidden_state')!;
    const pooled = file.tensors.get('pooler_output')!;
    // Measured 2.3e-6 (hidden) and 1.1e-6 (pooled), worst of both engines.
    expect(maxAbsDiff(out.lastHiddenState.data, toFloat32(lhs.dtype, lhs.data))).toBeLessThan(7e-6);
    expect(maxAbsDiff(out.poolerOutput.data, toFloat32(pooled.dtype, pooled.data))).toBeLessThan(3.5e-6);
    await expect(engine.encode({ inputIds: ids })).rejects.toThrow(/out of range: ids must be in \[0, 49408\)/);
  });

  it('refuses embeddings of the wrong shape or with NaN, naming the row and position', async () => {
    const ids = [[49406, 320, 49407]];
    await expect(engine.encode({ inputIds: ids, inputsEmbeds: { data: new Float32Array(3 * 31), dims: [1, 3, 31] } })).rejects.toThrow(
      /inputsEmbeds has shape \[1, 3, 31\], but the ids and the model need \[1, 3, 32\]/,
    );
    const bad = new Float32Array(3 * 32);
    bad[32 * 2 + 5] = NaN;
    await expect(engine.encode({ inputIds: ids, inputsEmbeds: { data: bad, dims: [1, 3, 32] } })).rejects.toThrow(/inputsEmbeds\[0\]\[2\] holds NaN/);
  });
});
