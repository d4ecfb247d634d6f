import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { tinyModelDir } from './paths.js';

/**
 * Single-file Stable Diffusion checkpoints made from the tiny models (6 MB each: made here rather
 * than committed), in the layouts diffusers' from_single_file converts (scripts/
 * make-checkpoint-extras-fixtures.py checks in torch that its conversion gives the HF weights back
 * exactly): SD1 `cond_stage_model.transformer.text_model.*`; SD2 OpenCLIP `cond_stage_model.model.*`
 * with one more resblock (random: dropped) and a text_projection; SDXL both under `conditioner.embedders`.
 * Each starts with a 3 GB UNet tensor that is a hole in a sparse file: reading it whole would fail
 * (Node reads at most 2 GB at once) or take seconds, so loading proves it reads the text encoders only.
 */

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

async function tiny(model: 'sd1-tiny' | 'sd2-tiny', projection = false): Promise<Weights> {
  const file = await loadSafetensors(join(tinyModelDir(model), projection ? 'text_model_with_projection' : 'text_model', 'model.safetensors'));
  const out: Weights = new Map();
  for (const [name, t] of file.tensors) if (name !== 'text_model.embeddings.position_ids') out.set(name, { shape: t.shape, data: toFloat32(t.dtype, t.data) });
  return out;
}

function openClip(w: Weights, prefix: string, extraBlock: boolean): Weights {
  const o: Weights = new Map();
  const get = (k: string) => w.get(k)!;
  const h = get('text_model.embeddings.token_embedding.weight').shape[1]!;
  o.set(`${prefix}token_embedding.weight`, get('text_model.embeddings.token_embedding.weight'));
  o.set(`${prefix}positional_embedding`, get('text_model.embeddings.position_embedding.weight'));
  o.set(`${prefix}ln_final.weight`, get('text_model.final_layer_norm.weight'));
  o.set(`${prefix}ln_final.bias`, get('text_model.final_layer_norm.bias'));
  const layers = new Set([...w.keys()].map((k) => /layers\.(\d+)\./.exec(k)?.[1]).filter((x) => x !== undefined)).size;
  let seed = 1;
  const random = (t: { shape: number[]; data: Float32Array }) => ({ shape: t.shape, data: t.data.map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2) });
  for (let i = 0; i < layers + (extraBlock ? 1 : 0); i++) {
    const src = (n: string) => (i < layers ? get(`text_model.encoder.layers.${i}.${n}`) : random(get(`text_model.encoder.layers.0.${n}`)));
    const t = `${prefix}transformer.resblocks.${i}.`;
    for (const kind of ['weight', 'bias']) {
      const parts = ['q_proj', 'k_proj', 'v_proj'].map((p) => src(`self_attn.${p}.${kind}`));
      const data = new Float32Array(parts.reduce((a, p) => a + p.data.length, 0));
      let at = 0;
      for (const p of parts) data.set(p.data, (at += p.data.length) - p.data.length);
      o.set(`${t}attn.in_proj_${kind}`, { shape: kind === 'weight' ? [3 * h, h] : [3 * h], data });
      for (const [a, b] of [
        ['attn.out_proj', 'self_attn.out_proj'],
        ['ln_1', 'layer_norm1'],
        ['ln_2', 'layer_norm2'],
        ['mlp.c_fc', 'mlp.fc1'],
        ['mlp.c_proj', 'mlp.fc2'],
      ] as const) {
        o.set(`${t}${a}.${kind}`, src(`${b}.${kind}`));
      }
    }
  }
  const proj = w.get('text_projection.weight');
  if (proj) {
    const [p, hh] = proj.shape as [number, number];
    const data = new Float32Array(p * hh);
    for (let i = 0; i < p; i++) for (let j = 0; j < hh; j++) data[j * p + i] = proj.data[i * hh + j]!;
    o.set(`${prefix}text_projection`, { shape: [hh, p], data });
  } else {
    o.set(`${prefix}text_projection`, random({ shape: [h, h], data: new Float32Array(h * h) }));
  }
  o.set(`${prefix}logit_scale`, { shape: [], data: Float32Array.of(4.6052) });
  return o;
}

const HOLE = 3 * 1024 ** 3; // bytes of the fake UNet tensor

/** Writes `<dir>/<kind>.safetensors`; returns its path. */
export async function writeSingleFile(dir: string, kind: 'sd1' | 'sd2' | 'sdxl'): Promise<string> {
  const tensors: Weights = new Map();
  const prefixed = (w: Weights, prefix: string) => {
    for (const [k, v] of w) tensors.set(prefix + k, v);
  };
  if (kind === 'sd1') prefixed(await tiny('sd1-tiny'), 'cond_stage_model.transformer.');
  if (kind === 'sd2') prefixed(openClip(await tiny('sd2-tiny'), 'cond_stage_model.model.', true), '');
  if (kind === 'sdxl') {
    prefixed(await tiny('sd1-tiny'), 'conditioner.embedders.0.transformer.');
    prefixed(openClip(await tiny('sd2-tiny', true), 'conditioner.embedders.1.model.', false), '');
  }
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  header['model.diffusion_model.input_blocks.0.0.weight'] = { dtype: 'F16', shape: [HOLE / 2], data_offsets: [0, HOLE] };
  let offset = HOLE;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  header['first_stage_model.decoder.conv_in.weight'] = { dtype: 'F32', shape: [1], data_offsets: [offset, offset + 4] };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const path = join(dir, `${kind}.safetensors`);
  const file = await open(path, 'w');
  try {
    const head = new Uint8Array(8 + json.length);
    new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
    head.set(new TextEncoder().encode(json), 8);
    await file.write(head, 0, head.length, 0);
    let at = head.length + HOLE; // the UNet's bytes stay a hole
    for (const t of tensors.values()) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      await file.write(bytes, 0, bytes.length, at);
      at += bytes.length;
    }
    await file.write(new Uint8Array(4), 0, 4, at);
  } finally {
    await file.close();
  }
  return path;
}
