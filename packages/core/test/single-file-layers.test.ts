import { describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, detectSingleFile, planSingleFile, type SafetensorsTensorInfo, type SingleFileEncoder } from '../src/index.js';

/**
 * A single file must hold every layer of its text encoder: a file that lost some loaded as a
 * shallower model before. Headers only (planning reads no tensor data), at the real widths (CLIP-L
 * 768, OpenCLIP-H 1024, bigG 1280) and the tiny fixtures' (64).
 */

const info = (name: string, shape: number[]): SafetensorsTensorInfo => ({ name, dtype: 'F16', shape, dataOffsets: [0, 0] });

function transformers(prefix: string, layers: readonly number[], h: number, drop: readonly string[] = []): SafetensorsTensorInfo[] {
  const p = `${prefix}text_model.`;
  const out = [
    info(`${p}embeddings.token_embedding.weight`, [49408, h]),
    info(`${p}embeddings.position_embedding.weight`, [77, h]),
    info(`${p}final_layer_norm.weight`, [h]),
    info(`${p}final_layer_norm.bias`, [h]),
  ];
  for (const i of layers) {
    const l = `${p}encoder.layers.${i}.`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) out.push(info(`${l}self_attn.${proj}.weight`, [h, h]), info(`${l}self_attn.${proj}.bias`, [h]));
    for (const norm of ['layer_norm1', 'layer_norm2']) out.push(info(`${l}${norm}.weight`, [h]), info(`${l}${norm}.bias`, [h]));
    out.push(info(`${l}mlp.fc1.weight`, [4 * h, h]), info(`${l}mlp.fc1.bias`, [4 * h]), info(`${l}mlp.fc2.weight`, [h, 4 * h]), info(`${l}mlp.fc2.bias`, [h]));
  }
  return out.filter((t) => !drop.includes(t.name));
}

function openClip(prefix: string, blocks: readonly number[], h: number): SafetensorsTensorInfo[] {
  const out = [
    info(`${prefix}token_embedding.weight`, [49408, h]),
    info(`${prefix}positional_embedding`, [77, h]),
    info(`${prefix}ln_final.weight`, [h]),
    info(`${prefix}ln_final.bias`, [h]),
    info(`${prefix}text_projection`, [h, h]),
  ];
  for (const i of blocks) {
    const b = `${prefix}transformer.resblocks.${i}.`;
    out.push(info(`${b}attn.in_proj_weight`, [3 * h, h]), info(`${b}attn.in_proj_bias`, [3 * h]), info(`${b}attn.out_proj.weight`, [h, h]), info(`${b}attn.out_proj.bias`, [h]));
    for (const norm of ['ln_1', 'ln_2']) out.push(info(`${b}${norm}.weight`, [h]), info(`${b}${norm}.bias`, [h]));
    out.push(info(`${b}mlp.c_fc.weight`, [4 * h, h]), info(`${b}mlp.c_fc.bias`, [4 * h]), info(`${b}mlp.c_proj.weight`, [h, 4 * h]), info(`${b}mlp.c_proj.bias`, [h]));
  }
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const SD1 = 'cond_stage_model.transformer.';
const SD2 = 'cond_stage_model.model.';
const XL_G = 'conditioner.embedders.1.model.';
const encoder = (tensors: readonly SafetensorsTensorInfo[], index = 0): SingleFileEncoder => detectSingleFile(tensors.map((t) => t.name), 'f').encoders[index]!;
const plan = (tensors: SafetensorsTensorInfo[], index = 0, config = {}) => planSingleFile(tensors, encoder(tensors, index), 'model.safetensors', config);

describe('a single file holds every layer its text encoder needs', () => {
  it('SD 1.x (CLIP ViT-L/14, 768 wide): 12 layers, or the first missing key is named', () => {
    expect(plan(transformers(SD1, range(12), 768)).config.num_hidden_layers).toBe(12);
    expect(() => plan(transformers(SD1, range(11), 768))).toThrow(
      new CheckpointError(
        'model.safetensors: missing key "cond_stage_model.transformer.text_model.encoder.layers.11.self_attn.q_proj.weight" and 15 more: ' +
          'the CLIP ViT-L/14 (SD 1.x, SDXL) text encoder (hidden size 768) has 12 layers',
      ),
    );
    expect(() => plan(transformers(SD1, range(13), 768))).toThrow(/unexpected text encoder keys "cond_stage_model\.transformer\.text_model\.encoder\.layers\.12\./);
  });

  it('SD 2.x (OpenCLIP ViT-H/14, 1024 wide): 23 of its 24 blocks, the dropped last one optional', () => {
    expect(plan(openClip(SD2, range(24), 1024)).config.num_hidden_layers).toBe(23);
    expect(plan(openClip(SD2, range(23), 1024)).config.num_hidden_layers).toBe(23);
    expect(() => plan(openClip(SD2, range(22), 1024))).toThrow(
      'model.safetensors: missing key "cond_stage_model.model.transformer.resblocks.22.attn.in_proj_weight" and 11 more: ' +
        'the OpenCLIP ViT-H/14 (SD 2.x) text encoder (hidden size 1024) has 24 layers, of which the model keeps 23',
    );
  });

  it('SDXL: CLIP-L 12 layers and OpenCLIP bigG 32', () => {
    const xl = (gBlocks: number) => [...transformers('conditioner.embedders.0.transformer.', range(12), 768), ...openClip(XL_G, range(gBlocks), 1280)];
    expect(plan(xl(32), 1).config.num_hidden_layers).toBe(32);
    expect(() => plan(xl(31), 1)).toThrow(/missing key "conditioner\.embedders\.1\.model\.transformer\.resblocks\.31\.attn\.in_proj_weight" and 11 more: the OpenCLIP ViT-bigG\/14/);
  });

  it('a width no family has (the tiny fixtures) must be given its depth: a lost top layer cannot pass as a shallower model', () => {
    // The issue's file: every layers.1.* tensor removed from a 2-layer model. Nothing in it says 2.
    expect(() => plan(transformers(SD1, range(1), 64))).toThrow(
      /model\.safetensors: a 64-wide text encoder is none of Stable Diffusion's \(CLIP ViT-L\/14 \(SD 1\.x, SDXL\): 768; .*\), so the file cannot tell how many layers it must have \(layer 0 is the highest present\): give num_hidden_layers/,
    );
    expect(() => plan(transformers(SD1, range(1), 64), 0, { num_hidden_layers: 2 })).toThrow(
      'model.safetensors: missing key "cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.q_proj.weight" and 15 more: num_hidden_layers is 2 (the config given)',
    );
    expect(plan(transformers(SD1, range(2), 64), 0, { num_hidden_layers: 2 }).config.num_hidden_layers).toBe(2);
    expect(() => plan(transformers(SD1, [0, 2], 64), 0, { num_hidden_layers: 3 })).toThrow(
      'model.safetensors: missing key "cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.q_proj.weight" and 15 more: num_hidden_layers is 3 (the config given)',
    );
    // SD 2.x drops the highest block; a gap below it is still a gap (was: block 3 silently dropped as the "last").
    expect(plan(openClip(SD2, range(3), 64), 0, { num_hidden_layers: 2 }).config.num_hidden_layers).toBe(2);
    expect(() => plan(openClip(SD2, [0, 1, 3], 64), 0, { num_hidden_layers: 3 })).toThrow(
      'model.safetensors: missing key "cond_stage_model.model.transformer.resblocks.2.attn.in_proj_weight" and 11 more: num_hidden_layers is 3 (the config given)',
    );
  });

  it('a layer with one tensor missing is refused by that key', () => {
    const missing = `${SD1}text_model.encoder.layers.1.mlp.fc2.bias`;
    expect(() => plan(transformers(SD1, range(2), 64, [missing]), 0, { num_hidden_layers: 2 })).toThrow(`model.safetensors: missing key "${missing}": num_hidden_layers is 2 (the config given)`);
  });

  it("the caller's num_hidden_layers sets the depth, and is checked before it is used", () => {
    expect(plan(transformers(SD1, range(11), 768), 0, { num_hidden_layers: 11 }).config.num_hidden_layers).toBe(11);
    expect(() => plan(transformers(SD1, range(2), 64), 0, { num_hidden_layers: 3 })).toThrow(/layers\.2\.self_attn\.q_proj\.weight" and 15 more: num_hidden_layers is 3 \(the config given\)/);
    expect(() => plan(transformers(SD1, range(2), 64), 0, { num_hidden_layers: 1e9 })).toThrow(ConfigError);
    expect(() => plan(transformers(SD1, [0, 1e12], 64))).toThrow(/layer 1000000000000: more than the 256 layers/);
  });
});
