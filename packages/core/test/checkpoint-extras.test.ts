import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  LoraError,
  TorchFileError,
  detectSingleFile,
  mergeLoraInto,
  parseLoraKey,
  planSingleFile,
  readLora,
  readTextualInversion,
  readTorchFile,
  isTorchTensor,
  type SafetensorsTensorInfo,
} from '../src/index.js';

const EXTRAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/fixtures/checkpoint-extras');
const at = (f: string): string => path.join(EXTRAS, f);

describe('torch files, read without unpickling', () => {
  it('reads an A1111 embedding written by torch.save (zip, _rebuild_parameter, OrderedDict)', async () => {
    const file = await readTorchFile(at('ti-my-style.pt'));
    const root = file.root as Map<unknown, unknown>;
    expect(root.get('name')).toBe('my-style');
    expect(root.get('step')).toBe(500);
    expect((root.get('string_to_token') as Map<unknown, unknown>).get('*')).toBe(265);
    const t = (root.get('string_to_param') as Map<unknown, unknown>).get('*');
    expect(isTorchTensor(t) && t.shape).toEqual([3, 32]);
    await file.close();
  });

  /** A zip holding `x/data.pkl` = `pickle` (stored), as torch.save lays it out. */
  function zipWith(pickle: number[]): Uint8Array {
    const name = new TextEncoder().encode('x/data.pkl');
    const data = Uint8Array.from(pickle);
    const local = new Uint8Array(30 + name.length);
    const dv = new DataView(local.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint32(18, data.length, true);
    dv.setUint32(22, data.length, true);
    dv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, name.length, true);
    cd.set(name, 46);
    const eocd = new Uint8Array(22);
    const ev = new DataView(eocd.buffer);
    ev.setUint32(0, 0x06054b50, true);
    ev.setUint16(8, 1, true);
    ev.setUint16(10, 1, true);
    ev.setUint32(12, cd.length, true);
    ev.setUint32(16, local.length + data.length, true);
    const out = new Uint8Array(local.length + data.length + cd.length + eocd.length);
    out.set(local);
    out.set(data, local.length);
    out.set(cd, local.length + data.length);
    out.set(eocd, local.length + data.length + cd.length);
    return out;
  }
  const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

  it('refuses any other global (os.system) naming the file and offset, and runs nothing', async () => {
    // PROTO 2, GLOBAL 'os system', SHORT_BINUNICODE 'echo hi', TUPLE1, REDUCE, STOP
    const evil = zipWith([0x80, 2, ...ascii('cos\nsystem\n'), 0x8c, 7, ...ascii('echo hi'), 0x85, 0x52, 0x2e]);
    await expect(readTorchFile(evil, { name: 'evil.pt' })).rejects.toThrow(/evil\.pt\/x\/data\.pkl: refuses global os\.system.*offset 2/);
  });

  it("says what a pickle without torch.save's magic number, or garbage, is", async () => {
    await expect(readTorchFile(Uint8Array.from([0x80, 2, 0x7d, 0x2e, ...new Array(30).fill(0)]), { name: 'old.pt' })).rejects.toThrow(
      /old\.pt: not a zip file: a bare pickle, without a legacy torch\.save file's magic number/,
    );
    await expect(readTorchFile(zipWith([0x80, 2, 0x7d, 0x71]))).rejects.toThrow(TorchFileError);
  });
});

describe('textual inversion files', () => {
  it('reads the diffusers format {token: [n, D]} from safetensors', async () => {
    const ti = await readTextualInversion(at('ti-cat-toy.safetensors'));
    expect(ti.token).toBe('<cat-toy>');
    const v = ti.vectors.get('text_encoder')!;
    expect([v.count, v.dim]).toEqual([2, 32]);
  });
  it("reads A1111's .pt (string_to_param['*'], name) and a diffusers .bin with a [D] vector", async () => {
    const a1111 = await readTextualInversion(at('ti-my-style.pt'));
    expect(a1111.token).toBe('my-style');
    expect(a1111.vectors.get('text_encoder')!.count).toBe(3);
    const bin = await readTextualInversion(at('ti-dog.bin'));
    expect(bin.token).toBe('<dog>');
    expect([bin.vectors.get('text_encoder')!.count, bin.vectors.get('text_encoder')!.dim]).toEqual([1, 32]);
  });
  it("reads SDXL's clip_l / clip_g for the two encoders", async () => {
    const xl = await readTextualInversion(at('ti-sdxl.safetensors'));
    expect(xl.token).toBeNull();
    expect([...xl.vectors.keys()]).toEqual(['text_encoder', 'text_encoder_2']);
  });
  it('refuses a file that is none of them', async () => {
    await expect(readTextualInversion(at('lora-peft-sd2.safetensors'))).rejects.toThrow(/not a textual inversion file: expected one tensor/);
  });
});

describe('LoRA', () => {
  it('maps kohya, peft and old diffusers keys to the Linear they change; other models are skipped', () => {
    expect(parseLoraKey('lora_te_text_model_encoder_layers_11_self_attn_q_proj.lora_up.weight', 'f')).toEqual({
      encoder: 'text_encoder',
      module: 'text_model.encoder.layers.11.self_attn.q_proj',
      role: 'up',
    });
    expect(parseLoraKey('lora_te2_text_model_encoder_layers_0_mlp_fc1.alpha', 'f')).toMatchObject({ encoder: 'text_encoder_2', module: 'text_model.encoder.layers.0.mlp.fc1', role: 'alpha' });
    expect(parseLoraKey('text_encoder.text_model.encoder.layers.3.self_attn.out_proj.lora_A.weight', 'f')).toMatchObject({ role: 'down' });
    expect(parseLoraKey('text_encoder_2.text_model.encoder.layers.3.mlp.fc2.lora_linear_layer.up.weight', 'f')).toMatchObject({ encoder: 'text_encoder_2', role: 'up' });
    expect(parseLoraKey('text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.down.weight', 'f')).toMatchObject({ module: 'text_model.encoder.layers.0.self_attn.out_proj' });
    expect(parseLoraKey('lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', 'f')).toBeNull();
    expect(parseLoraKey('lora_te_text_model_encoder_layers_0_self_attn_q_proj.hada_w1_a', 'f')).toMatchObject({ role: 'hada_w1_a' });
    expect(parseLoraKey('text_encoder_2.text_model.encoder.layers.1.mlp.fc2.lokr_w2_b', 'f')).toMatchObject({ encoder: 'text_encoder_2', role: 'lokr_w2_b' });
    expect(() => parseLoraKey('lora_te_text_model_encoder_layers_0_self_attn_q_proj.hada_t1', 'f.safetensors')).toThrow(LoraError);
    expect(() => parseLoraKey('lora_te_text_model_embeddings_token_embedding.lora_up.weight', 'f.safetensors')).toThrow(/no text encoder Linear/);
  });

  it('reads only the text encoder tensors (the UNet adapters here hold NaN)', async () => {
    const lora = await readLora(at('lora-kohya-sd1.safetensors'));
    const layers = lora.encoders.get('text_encoder')!;
    expect(layers.size).toBe(12);
    expect(layers.get('text_model.encoder.layers.1.mlp.fc1')).toMatchObject({ rank: 2, alpha: 1, outFeatures: 128, inFeatures: 32 });
    const peft = await readLora(at('lora-peft-sd2.safetensors'));
    expect(peft.encoders.get('text_encoder')!.get('text_model.encoder.layers.1.self_attn.q_proj')!.alpha).toBe(2); // no alpha: rank
  });

  it('merges W + scale * alpha / r * up @ down', () => {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]
    const layer = { kind: 'lora' as const, up: Float32Array.from([1, 2]), down: Float32Array.from([1, 0, -1]), rank: 1, outFeatures: 2, inFeatures: 3, alpha: 2 };
    mergeLoraInto(w, [2, 3], 'k', [{ layer, scale: 0.5, file: 'f' }]);
    expect([...w]).toEqual([2, 2, 2, 6, 5, 4]);
  });
});

describe('single-file checkpoints', () => {
  const info = (name: string, shape: number[]): SafetensorsTensorInfo => ({ name, dtype: 'F16', shape, dataOffsets: [0, 0] });
  const openClip = (prefix: string, blocks: number, h = 64): SafetensorsTensorInfo[] => [
    info(`${prefix}token_embedding.weight`, [100, h]),
    info(`${prefix}positional_embedding`, [77, h]),
    info(`${prefix}ln_final.weight`, [h]),
    info(`${prefix}ln_final.bias`, [h]),
    info(`${prefix}text_projection`, [h, 16]),
    info(`${prefix}logit_scale`, []),
    ...Array.from({ length: blocks }, (_, i) =>
      [
        ['attn.in_proj_weight', [3 * h, h]],
        ['attn.in_proj_bias', [3 * h]],
        ['attn.out_proj.weight', [h, h]],
        ['attn.out_proj.bias', [h]],
        ['ln_1.weight', [h]],
        ['ln_1.bias', [h]],
        ['ln_2.weight', [h]],
        ['ln_2.bias', [h]],
        ['mlp.c_fc.weight', [4 * h, h]],
        ['mlp.c_fc.bias', [4 * h]],
        ['mlp.c_proj.weight', [h, 4 * h]],
        ['mlp.c_proj.bias', [h]],
      ].map(([n, s]) => info(`${prefix}transformer.resblocks.${i}.${n as string}`, s as number[])),
    ).flat(),
  ];

  it('detects SD1, SD2 and SDXL by their prefixes, and refuses refiners and plain CLIP files', () => {
    expect(detectSingleFile(['cond_stage_model.transformer.text_model.final_layer_norm.weight', 'model.diffusion_model.x'], 'f').kind).toBe('sd1');
    expect(detectSingleFile(['cond_stage_model.model.ln_final.weight'], 'f').kind).toBe('sd2');
    expect(detectSingleFile(['conditioner.embedders.0.transformer.text_model.x', 'conditioner.embedders.1.model.x'], 'f').encoders.map((e) => e.name)).toEqual([
      'text_encoder',
      'text_encoder_2',
    ]);
    expect(() => detectSingleFile(['conditioner.embedders.0.model.ln_final.weight'], 'r.safetensors')).toThrow(/refiner/);
    expect(() => detectSingleFile(['model.diffusion_model.x'], 'u.safetensors')).toThrow(/u\.safetensors: no text encoder found/);
  });

  it('plans OpenCLIP -> HF: q/k/v rows of in_proj, SD2 drops its last block and its projection', () => {
    const sd2 = planSingleFile(openClip('cond_stage_model.model.', 3), detectSingleFile(['cond_stage_model.model.x'], 'f').encoders[0]!, 'f', { num_hidden_layers: 2 });
    expect(sd2.config).toMatchObject({ num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 1, hidden_act: 'gelu', vocab_size: 100 });
    expect(sd2.recipes.get('text_model.encoder.layers.1.self_attn.k_proj.bias')).toEqual({
      source: 'cond_stage_model.model.transformer.resblocks.1.attn.in_proj_bias',
      rows: { start: 64, count: 64 },
    });
    expect(sd2.recipes.get('text_model.encoder.layers.0.mlp.fc2.weight')!.source).toBe('cond_stage_model.model.transformer.resblocks.0.mlp.c_proj.weight');
    expect([...sd2.recipes.keys()].some((k) => k.includes('layers.2'))).toBe(false);
    expect(sd2.recipes.has('text_projection.weight')).toBe(false);
    const xl = detectSingleFile(['conditioner.embedders.0.transformer.x', 'conditioner.embedders.1.model.x'], 'f').encoders[1]!;
    const g = planSingleFile(openClip('conditioner.embedders.1.model.', 3), xl, 'f', { num_attention_heads: 4, num_hidden_layers: 3 });
    expect(g.config).toMatchObject({ num_hidden_layers: 3, num_attention_heads: 4, projection_dim: 16 });
    expect(g.recipes.get('text_projection.weight')).toEqual({ source: 'conditioner.embedders.1.model.text_projection', transpose: true });
  });

  it('names a text encoder key it cannot place', () => {
    const tensors = [...openClip('cond_stage_model.model.', 2), info('cond_stage_model.model.transformer.resblocks.0.attn.extra', [2])];
    expect(() => planSingleFile(tensors, detectSingleFile(['cond_stage_model.model.x'], 'f').encoders[0]!, 'f', { num_hidden_layers: 1 })).toThrow(CheckpointError);
  });
});
