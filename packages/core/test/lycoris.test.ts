import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  LoraError,
  adapterDelta,
  folderFiles,
  loadSafetensors,
  readLora,
  readTextModelWeights,
  serializeSafetensors,
  toFloat32,
  type LoraLayer,
  type LoraMerge,
  type TextEncoderName,
} from '../src/index.js';

/**
 * LyCORIS on the text encoder against LyCORIS's own code: scripts/make-lycoris-fixtures.py builds
 * LoHa / LoKr / LoCon / DoRA files with LyCORIS's module constructors, loads them back as LyCORIS
 * does (get_module + make_module_from_state_dict), and records the weight each Linear computes
 * with through LyCORIS's forward. The merged weights core streams to both engines must match.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXTRAS = path.resolve(HERE, '../../../models/fixtures/checkpoint-extras');
const MODELS = path.resolve(HERE, '../../../models/fixtures/models');

interface Case {
  model: string;
  projection: boolean;
  files: { file: string; multiplier: number; naming: string; encoder: 'te' | 'te1' | 'te2' }[];
}
const MANIFEST = JSON.parse(readFileSync(path.join(EXTRAS, 'lycoris-manifest.json'), 'utf8')) as { cases: Record<string, Case> };
/** About 3x the worst |core - LyCORIS forward| over every merged weight (1.8e-7: float32 rounding of W + dW, 1.5 ulp). */
const WEIGHT_TOL = 6e-7;

const encoderOf = (e: Case['files'][number]['encoder']): TextEncoderName => (e === 'te2' ? 'text_encoder_2' : 'text_encoder');

async function merges(c: Case): Promise<LoraMerge[]> {
  const out: LoraMerge[] = [];
  for (const f of c.files) {
    const lora = await readLora(path.join(EXTRAS, f.file));
    const layers = lora.encoders.get(encoderOf(f.encoder));
    expect(layers, `${f.file} has adapters for ${encoderOf(f.encoder)}`).toBeDefined();
    out.push({ layers: layers!, scale: f.multiplier, file: lora.file });
  }
  return out;
}

describe('LyCORIS merged as its forward pass computes them (reference: LyCORIS f49d30d)', () => {
  for (const [name, c] of Object.entries(MANIFEST.cases)) {
    it(`${name}: every adapted Linear's weight as LyCORIS's forward computes with; the others untouched`, async () => {
      const dir = path.join(MODELS, c.model, c.projection ? 'text_model_with_projection' : 'text_model');
      const ref = await loadSafetensors(path.join(EXTRAS, `lycoris-${name}.reference.safetensors`));
      const plain = await readTextModelWeights(folderFiles(dir));
      const { tensors } = await readTextModelWeights(folderFiles(dir), { lora: await merges(c) });
      let worst = 0;
      let adapted = 0;
      for (const [key, weight] of tensors) {
        const expected = ref.tensors.get(`merged.${key}`);
        if (!expected) {
          const before = plain.tensors.get(key)!.data;
          expect(weight.data.findIndex((x, i) => x !== before[i]), `${key} is not adapted: unchanged`).toBe(-1);
          continue;
        }
        adapted++;
        const want = toFloat32(expected.dtype, expected.data);
        expect(weight.shape).toEqual(expected.shape);
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(weight.data[i]! - want[i]!));
      }
      expect(adapted).toBe([...ref.tensors.keys()].filter((k) => k.startsWith('merged.')).length);
      expect(worst).toBeLessThan(WEIGHT_TOL);
    });
  }
});

describe('LyCORIS files: kinds, scales and checks', () => {
  it('tells LoHa, LoKr (each way of storing its factors) and LoCon + DoRA apart by their parts', async () => {
    const loha = (await readLora(path.join(EXTRAS, 'lycoris-loha-sd1.safetensors'))).encoders.get('text_encoder')!;
    expect(loha.get('text_model.encoder.layers.0.mlp.fc1')).toMatchObject({ kind: 'loha', rank: 4, alpha: 2, outFeatures: 128, inFeatures: 32 });
    expect(loha.get('text_model.encoder.layers.1.self_attn.q_proj')!.dora).toMatchObject({ axis: 'out' });
    const lokr = (await readLora(path.join(EXTRAS, 'lycoris-lokr-sd1.safetensors'))).encoders.get('text_encoder')!;
    const kinds = (m: string): string => {
      const l = lokr.get(`text_model.encoder.layers.0.${m}`) as Extract<LoraLayer, { kind: 'lokr' }>;
      return `${'full' in l.w1 ? 'full' : 'pair'}+${'full' in l.w2 ? 'full' : 'pair'} r=${l.rank}`;
    };
    expect(kinds('self_attn.q_proj')).toBe('full+pair r=2');
    expect(kinds('self_attn.k_proj')).toBe('full+full r=null'); // scale 1, whatever alpha says
    expect(kinds('self_attn.v_proj')).toBe('pair+pair r=1');
    const dora = (await readLora(path.join(EXTRAS, 'lycoris-locon-dora-sd2.safetensors'))).encoders.get('text_encoder')!;
    expect(dora.get('text_model.encoder.layers.1.self_attn.v_proj')).toMatchObject({ kind: 'lora', dora: { axis: 'in' } });
  });

  it('LoHa and LoKr take alpha 0 as r (LyCORIS); plain LoRA keeps diffusers\' 0', () => {
    const m = (data: number[], rows: number, cols: number) => ({ data: Float32Array.from(data), rows, cols });
    const w = new Float32Array(4);
    const loha: LoraLayer = { kind: 'loha', w1a: m([1, 1], 2, 1), w1b: m([1, 1], 1, 2), w2a: m([2, 2], 2, 1), w2b: m([1, 1], 1, 2), rank: 1, outFeatures: 2, inFeatures: 2, alpha: 0 };
    expect([...adapterDelta(loha, w, 1)]).toEqual([2, 2, 2, 2]);
    const lora: LoraLayer = { kind: 'lora', up: Float32Array.of(1, 1), down: Float32Array.of(1, 1), rank: 1, outFeatures: 2, inFeatures: 2, alpha: 0 };
    expect([...adapterDelta(lora, w, 1)]).toEqual([0, 0, 0, 0]);
    // kron([[1, 2]], [[1], [3]]) = [[1, 2], [3, 6]], both full: scale 1 at any alpha.
    const lokr: LoraLayer = { kind: 'lokr', w1: { full: m([1, 2], 1, 2) }, w2: { full: m([1, 3], 2, 1) }, rank: null, outFeatures: 2, inFeatures: 2, alpha: 7 };
    expect([...adapterDelta(lokr, w, 0.5)]).toEqual([0.5, 1, 1.5, 3]);
  });

  /** A safetensors LoRA file of `parts` (name -> [shape, values]) in memory. */
  const file = (parts: Record<string, [number[], number[]]>): Uint8Array =>
    serializeSafetensors(new Map(Object.entries(parts).map(([k, [shape, values]]) => [k, { dtype: 'F32' as const, shape, data: Float32Array.from(values) }])));
  const K = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';

  it('names the file and module of a part missing, ranks that differ, mixed kinds and a dora_scale of the wrong shape', async () => {
    const ones = (n: number) => new Array<number>(n).fill(1);
    await expect(readLora(file({ [`${K}.hada_w1_a`]: [[2, 1], ones(2)], [`${K}.hada_w1_b`]: [[1, 2], ones(2)], [`${K}.hada_w2_a`]: [[2, 1], ones(2)] }), { name: 'x.safetensors' })).rejects.toThrow(
      /x\.safetensors: text_encoder text_model\.encoder\.layers\.0\.self_attn\.q_proj: has no hada_w2_b/,
    );
    await expect(readLora(file({ [`${K}.lokr_w1`]: [[2, 2], ones(4)], [`${K}.lokr_w2_a`]: [[2, 1], ones(2)], [`${K}.lokr_w2_b`]: [[2, 2], ones(4)] }), { name: 'x' })).rejects.toThrow(
      /lokr_w2_a is \[2, 1\] and lokr_w2_b \[2, 2\]: ranks differ/,
    );
    await expect(readLora(file({ [`${K}.lora_up.weight`]: [[2, 1], ones(2)], [`${K}.lora_down.weight`]: [[1, 2], ones(2)], [`${K}.lokr_w1`]: [[1, 1], [1]] }), { name: 'x' })).rejects.toThrow(
      /mixes lora and lokr parts/,
    );
    await expect(
      readLora(file({ [`${K}.lora_up.weight`]: [[2, 1], ones(2)], [`${K}.lora_down.weight`]: [[1, 3], ones(3)], [`${K}.dora_scale`]: [[3, 1], ones(3)] }), { name: 'x' }),
    ).rejects.toThrow(/dora_scale is \[3, 1\], expected \[2, 1\] or \[1, 3\] for a \[2, 3\] weight/);
  });

  it('refuses what LyCORIS keeps for conv layers or other algorithms, by name', async () => {
    for (const [part, what] of [
      ['hada_t1', /LoHa with Tucker factors/],
      ['lokr_t2', /LoKr with a Tucker factor/],
      ['lora_mid.weight', /LoCon with a Tucker factor/],
      ['diff', /LyCORIS 'full'/],
      ['oft_blocks', /OFT/],
    ] as const) {
      await expect(readLora(file({ [`${K}.${part}`]: [[1, 1], [1]] }), { name: 'y.safetensors' })).rejects.toSatisfy(
        (e: unknown) => e instanceof LoraError && what.test(e.message) && e.message.startsWith(`y.safetensors: LoRA key "${K}.${part}"`),
      );
    }
  });
});
