import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSafetensors as rawSafetensorsOf, type RawEntry } from './t5/helpers.js';
import { CheckpointError, extractSd3TextEncoders, loadSafetensors, loadSafetensorsHeader, planLoneClipFile, sd3TextEncodersIn, SD3_TEXT_ENCODER_PREFIXES } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));
const SOURCES = {
  clip_l: join(FIXTURES, 'models/sd1-tiny/text_model/model.safetensors'),
  clip_g: join(FIXTURES, 'models/sd2-tiny/text_model_with_projection/model.safetensors'),
  t5xxl: join(FIXTURES, 'sd3/text_encoder_3/model.safetensors'),
} as const;

type NamedEntry = RawEntry & { name: string };

async function tensorsOf(path: string): Promise<NamedEntry[]> {
  const bytes = new Uint8Array(await readFile(path));
  const header = await loadSafetensorsHeader(path);
  return header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: bytes.slice(header.dataStart + t.dataOffsets[0], header.dataStart + t.dataOffsets[1]) }));
}

let dir = '';
let file = '';
const stored = new Map<string, Awaited<ReturnType<typeof tensorsOf>>>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdtext-sd3-'));
  const unet: NamedEntry = { name: 'model.diffusion_model.joint_blocks.0.x.weight', dtype: 'F32', shape: [2, 2], bytes: new Uint8Array(16).fill(7) };
  const vae: NamedEntry = { name: 'first_stage_model.decoder.conv_in.weight', dtype: 'F16', shape: [3], bytes: new Uint8Array(6).fill(1) };
  const parts: NamedEntry[] = [unet];
  for (const [encoder, path] of Object.entries(SOURCES)) {
    const tensors = await tensorsOf(path);
    stored.set(encoder, tensors);
    const prefix = SD3_TEXT_ENCODER_PREFIXES[encoder as keyof typeof SOURCES];
    parts.push(...tensors.map((t) => ({ ...t, name: prefix + t.name })));
  }
  parts.push(vae);
  file = join(dir, 'sd3_medium_incl_clips_t5xxl.safetensors');
  await writeFile(file, rawSafetensors(parts));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('SD3 single files', () => {
  it('finds the text encoders by their prefixes', async () => {
    const names = (await loadSafetensorsHeader(file)).tensors.map((t) => t.name);
    expect(sd3TextEncodersIn(names)).toEqual(['clip_l', 'clip_g', 't5xxl']);
    expect(sd3TextEncodersIn(names.filter((n) => !n.includes('clip_g')))).toEqual(['clip_l', 't5xxl']);
    expect(sd3TextEncodersIn(['model.diffusion_model.x', 'cond_stage_model.transformer.y'])).toEqual([]);
  });

  it('extracts each encoder with its keys and bytes as stored, the prefix off', async () => {
    const out = await extractSd3TextEncoders(file, join(dir, 'out'));
    expect(Object.keys(out).sort()).toEqual(['clip_g', 'clip_l', 't5xxl']);
    for (const [encoder, path] of Object.entries(out)) {
      const got = await tensorsOf(path);
      const want = stored.get(encoder)!;
      expect(got.map((t) => [t.name, t.dtype, t.shape])).toEqual(want.map((t) => [t.name, t.dtype, t.shape]));
      got.forEach((t, i) => expect(Buffer.compare(Buffer.from(t.bytes), Buffer.from(want[i]!.bytes)), t.name).toBe(0));
      // The written file reads as a strict safetensors file (no holes, 8-aligned data).
      expect((await loadSafetensors(path)).tensors.size).toBe(want.length);
    }
  });

  it('plans a lone CLIP file: config off the shapes, CLIP-G projected, CLIP-L not', async () => {
    const out = await extractSd3TextEncoders(file, join(dir, 'plan'));
    const l = planLoneClipFile((await loadSafetensorsHeader(out.clip_l!)).tensors, 'clip_l', 'clip_l.safetensors', { num_attention_heads: 4 });
    expect(l.withProjection).toBe(false);
    expect(l.config).toMatchObject({ vocab_size: 49408, hidden_size: 32, num_hidden_layers: 2, intermediate_size: 128, max_position_embeddings: 77, hidden_act: 'quick_gelu', num_attention_heads: 4, eos_token_id: 2 });
    const g = planLoneClipFile((await loadSafetensorsHeader(out.clip_g!)).tensors, 'clip_g', 'clip_g.safetensors', { num_attention_heads: 2 });
    expect(g.withProjection).toBe(true);
    expect(g.config).toMatchObject({ hidden_size: 32, hidden_act: 'gelu', projection_dim: 16, num_attention_heads: 2 });
    // Real widths give HF's heads without overrides: 768 / 64 = 12, 1280 / 64 = 20.
    const shapes = (h: number) => [
      { name: 'text_model.embeddings.token_embedding.weight', shape: [49408, h] },
      { name: 'text_model.embeddings.position_embedding.weight', shape: [77, h] },
      { name: 'text_model.encoder.layers.0.mlp.fc1.weight', shape: [4 * h, h] },
      { name: 'text_projection.weight', shape: [h, h] },
      { name: 'logit_scale', shape: [] },
    ];
    expect(planLoneClipFile(shapes(768), 'clip_l', 'x').config.num_attention_heads).toBe(12);
    expect(planLoneClipFile(shapes(768), 'clip_l', 'x').ignoreKeys).toEqual(['logit_scale', 'text_projection.weight']);
    expect(planLoneClipFile(shapes(1280), 'clip_g', 'x').config.num_attention_heads).toBe(20);
  });

  it('refuses a file with no SD3 text encoder, and a lone file that is no CLIP, naming them', async () => {
    const other = join(dir, 'unet-only.safetensors');
    await writeFile(other, rawSafetensors([{ name: 'model.diffusion_model.x', dtype: 'F32', shape: [1], bytes: new Uint8Array(4) }]));
    await expect(extractSd3TextEncoders(other, join(dir, 'none'))).rejects.toThrow(new CheckpointError(`${other}: no SD3-style text encoder (no text_encoders.clip_l.transformer.*, text_encoders.clip_g.transformer.*, text_encoders.t5xxl.transformer.* keys)`));
    expect(() => planLoneClipFile([{ name: 'shared.weight', shape: [10, 4] }], 'clip_l', 't5xxl_fp16.safetensors')).toThrow(
      't5xxl_fp16.safetensors: no "text_model.embeddings.token_embedding.weight": not a transformers CLIP text model file (clip_l)',
    );
  });
});

/** The helper's file from named entries, in order. */
function rawSafetensors(tensors: readonly NamedEntry[]): Uint8Array {
  return rawSafetensorsOf(tensors.map((t) => [t.name, t]));
}
