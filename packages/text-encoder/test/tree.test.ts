import { describe, expect, it } from 'vitest';
import { SD1_TEXT_CONFIG, SD2_TEXT_CONFIG, clipTextWeightShapes } from '@sdtext/core';
import { describeCLIPTextModel, describeCLIPTextTransformer, expectedWeights } from '../src/index.js';
import { pyFloat } from '../src/modules/module.js';

// PyTorch's print(CLIPTextModel.from_pretrained('stabilityai/stable-diffusion-2-base', subfolder='text_encoder').text_model)
const SD2_HEAD = `CLIPTextTransformer(
  (embeddings): CLIPTextEmbeddings(
    (token_embedding): Embedding(49408, 1024)
    (position_embedding): Embedding(77, 1024)
  )
  (encoder): CLIPEncoder(
    (layers): ModuleList(
      (0): CLIPEncoderLayer(
        (self_attn): CLIPAttention(
          (k_proj): Linear(in_features=1024, out_features=1024, bias=True)
          (v_proj): Linear(in_features=1024, out_features=1024, bias=True)
          (q_proj): Linear(in_features=1024, out_features=1024, bias=True)
          (out_proj): Linear(in_features=1024, out_features=1024, bias=True)
        )
        (layer_norm1): LayerNorm((1024,), eps=1e-05, elementwise_affine=True)
        (mlp): CLIPMLP(
          (activation_fn): GELUActivation()
          (fc1): Linear(in_features=1024, out_features=4096, bias=True)
          (fc2): Linear(in_features=4096, out_features=1024, bias=True)
        )
        (layer_norm2): LayerNorm((1024,), eps=1e-05, elementwise_affine=True)
      )
      (1): CLIPEncoderLayer(`;
const SD2_TAIL = `        (layer_norm2): LayerNorm((1024,), eps=1e-05, elementwise_affine=True)
      )
    )
  )
  (final_layer_norm): LayerNorm((1024,), eps=1e-05, elementwise_affine=True)
)`;

describe('module tree', () => {
  it('prints SD2 as PyTorch does, from the config alone', () => {
    const tree = describeCLIPTextTransformer(SD2_TEXT_CONFIG);
    expect(tree.startsWith(SD2_HEAD)).toBe(true);
    expect(tree.endsWith(SD2_TAIL)).toBe(true);
    expect(tree.match(/: CLIPEncoderLayer\(/g)).toHaveLength(23);
    expect(tree).toContain('      (22): CLIPEncoderLayer(\n');
    expect(tree).not.toContain('(23)');
    expect(tree.split('\n')).toHaveLength(7 + 23 * 15 + 4);
  });

  it('prints quick_gelu as QuickGELUActivation, and the projection model', () => {
    const tree = describeCLIPTextModel(SD1_TEXT_CONFIG, { withProjection: true });
    expect(tree).toContain('(activation_fn): QuickGELUActivation()');
    expect(tree).not.toContain('(activation_fn): GELUActivation()');
    expect(tree.startsWith('CLIPTextModelWithProjection(\n  (text_model): CLIPTextTransformer(\n')).toBe(true);
    expect(tree.endsWith('  (text_projection): Linear(in_features=768, out_features=768, bias=False)\n)')).toBe(true);
  });

  it('knows every key and shape of the checkpoint (HF names, no rename table)', () => {
    const keys = expectedWeights(SD2_TEXT_CONFIG);
    expect(keys.size).toBe(2 + 23 * 16 + 2);
    expect(keys.get('text_model.embeddings.token_embedding.weight')).toEqual([49408, 1024]);
    expect(keys.get('text_model.encoder.layers.22.self_attn.q_proj.weight')).toEqual([1024, 1024]);
    expect(keys.get('text_model.encoder.layers.0.mlp.fc1.weight')).toEqual([4096, 1024]);
    expect(keys.get('text_model.final_layer_norm.bias')).toEqual([1024]);
    expect(expectedWeights(SD2_TEXT_CONFIG, { withProjection: true }).get('text_projection.weight')).toEqual([512, 1024]);
  });

  it("asks for exactly @sdtext/core's key list (what the ONNX engine and the downloader check against)", () => {
    for (const config of [SD1_TEXT_CONFIG, SD2_TEXT_CONFIG]) {
      for (const withProjection of [false, true]) {
        expect([...expectedWeights(config, { withProjection })]).toEqual([...clipTextWeightShapes(config, { withProjection })]);
      }
    }
  });

  it('formats floats as Python does', () => {
    expect([1e-5, 1e-6, 0.0001, 0.5, 1, 1e-12, 1e16].map(pyFloat)).toEqual(['1e-05', '1e-06', '0.0001', '0.5', '1.0', '1e-12', '1e+16']);
  });
});
