import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, f8E4M3BytesToFloat32, folderFiles, toFloat32, type SafetensorsDtype } from '../../src/index.js';
import { openT5EncoderCheckpoint, parseT5Config, readT5EncoderWeights, t5EncoderWeightShapes } from '../../src/t5/index.js';
import { T5_FIXTURES, fixtureConfig, memoryFiles, rawSafetensors, readRawEntries, type RawEntry } from './helpers.js';

const A = path.join(T5_FIXTURES, 't5-gated-a');
const entriesOf = (file: string): Map<string, RawEntry> => readRawEntries(path.join(A, file));
const f32 = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** t5-gated-a's fp32 file with `edit` applied to its entries, as an in-memory model folder. */
function edited(edit: (entries: Map<string, RawEntry>) => void, config = fixtureConfig('t5-gated-a')): ReturnType<typeof memoryFiles> {
  const entries = entriesOf('model.safetensors');
  edit(entries);
  return memoryFiles({ 'config.json': config, 'model.safetensors': rawSafetensors(entries) });
}

async function problemsOf(files: ReturnType<typeof memoryFiles>, options = {}): Promise<string> {
  const e = await openT5EncoderCheckpoint(files, options).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CheckpointError);
  return (e as Error).message;
}

describe('the T5 encoder key plan', () => {
  it("is HF's T5EncoderModel state dict (no biases; relative_attention_bias in block 0 only)", async () => {
    const config = parseT5Config(fixtureConfig('t5-gated-a'));
    const shapes = t5EncoderWeightShapes(config);
    const stored = entriesOf('model.safetensors');
    expect(new Set(shapes.keys())).toEqual(new Set(stored.keys()));
    for (const [key, shape] of shapes) expect(stored.get(key)!.shape).toEqual(shape);
    expect([...shapes.keys()].filter((k) => k.includes('relative_attention_bias'))).toEqual(['encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight']);
    expect([...shapes.keys()].some((k) => k.endsWith('.bias'))).toBe(false);
  });

  it('reads every dtype of the fixtures to the same keys', async () => {
    for (const variant of [undefined, 'fp16', 'bf16']) {
      const { tensors } = await readT5EncoderWeights(folderFiles(A), { variant });
      expect(tensors.size).toBe(t5EncoderWeightShapes(parseT5Config(fixtureConfig('t5-gated-a'))).size);
    }
  });
});

describe('the tied embedding: shared.weight and encoder.embed_tokens.weight', () => {
  const embedding = entriesOf('model.safetensors').get('shared.weight')!;

  it('loads a file that stores only encoder.embed_tokens.weight, as shared.weight', async () => {
    const files = edited((e) => {
      e.delete('shared.weight');
      e.set('encoder.embed_tokens.weight', embedding);
    });
    const { tensors } = await readT5EncoderWeights(files);
    expect(tensors.get('shared.weight')!.data).toEqual(new Float32Array(embedding.bytes.slice().buffer));
  });

  it('loads a file with both (state_dict()), reading shared.weight', async () => {
    const files = edited((e) => e.set('encoder.embed_tokens.weight', { ...embedding, bytes: new Uint8Array(embedding.bytes.length) }));
    const { tensors } = await readT5EncoderWeights(files);
    expect(tensors.get('shared.weight')!.data).toEqual(new Float32Array(embedding.bytes.slice().buffer));
  });

  it('refuses neither, or a tied copy of another shape', async () => {
    expect(await problemsOf(edited((e) => e.delete('shared.weight')))).toMatch(/missing key "shared.weight" \(expected shape \[100, 64\]\) \(or its tied copy "encoder.embed_tokens.weight"\)/);
    const msg = await problemsOf(edited((e) => e.set('encoder.embed_tokens.weight', { dtype: 'F32', shape: [99, 64], bytes: new Uint8Array(99 * 64 * 4) })));
    expect(msg).toMatch(/wrong shape for "encoder.embed_tokens.weight" \(tied to shared.weight\): expected \[100, 64\], found \[99, 64\]/);
  });
});

describe('strict loading: every problem named, before a weight is read', () => {
  it('missing, unexpected, misshapen and wrong-dtype keys, all in one error with the file', async () => {
    const files = edited((e) => {
      e.delete('encoder.block.1.layer.1.DenseReluDense.wi_1.weight');
      e.set('encoder.block.2.layer.0.layer_norm.weight', { dtype: 'F32', shape: [64], bytes: new Uint8Array(256) });
      e.set('encoder.final_layer_norm.weight', { dtype: 'F32', shape: [63], bytes: new Uint8Array(252) });
      e.set('encoder.block.0.layer.0.layer_norm.weight', { dtype: 'I32', shape: [64], bytes: new Uint8Array(256) });
    });
    const msg = await problemsOf(files);
    expect(msg).toMatch(/^mem:t5 \(model.safetensors\): checkpoint does not match T5EncoderModel \(4 problems\)/);
    expect(msg).toContain('missing key "encoder.block.1.layer.1.DenseReluDense.wi_1.weight" (expected shape [32, 64])');
    expect(msg).toContain('unexpected key "encoder.block.2.layer.0.layer_norm.weight" [64] (model.safetensors)');
    expect(msg).toContain('wrong shape for "encoder.final_layer_norm.weight": expected [64], found [63] (model.safetensors)');
    expect(msg).toContain('"encoder.block.0.layer.0.layer_norm.weight" has dtype I32; weights must be F32, F16, BF16, F64, F8_E4M3, F8_E5M2');
  });

  it("skips a full T5's decoder and LM head (HF's T5EncoderModel does), and ignoreKeys", async () => {
    const files = edited((e) => {
      e.set('decoder.block.0.layer.0.SelfAttention.q.weight', { dtype: 'F32', shape: [1], bytes: f32([1]) });
      e.set('lm_head.weight', { dtype: 'F32', shape: [1], bytes: f32([1]) });
      e.set('extra.thing', { dtype: 'F32', shape: [1], bytes: f32([1]) });
    });
    expect(await problemsOf(files)).toContain('unexpected key "extra.thing"');
    await expect(readT5EncoderWeights(files, { ignoreKeys: ['extra.thing'] })).resolves.toBeDefined();
  });

  it('a NaN in an F16 weight or an F8 NaN byte is a CheckpointError naming the tensor and element', async () => {
    const half = edited((e) => {
      const ln = e.get('encoder.final_layer_norm.weight')!;
      const bits = new Uint16Array(64).fill(0x3c00);
      bits[5] = 0x7e00;
      e.set('encoder.final_layer_norm.weight', { ...ln, dtype: 'F16', bytes: new Uint8Array(bits.buffer) });
    });
    await expect(readT5EncoderWeights(half)).rejects.toThrow(/weight "encoder.final_layer_norm.weight" holds NaN at \[5\]/);
    const opened = await openT5EncoderCheckpoint(half);
    const stored = async (): Promise<void> => {
      for await (const w of opened.storedWeights()) void w;
    };
    await expect(stored()).rejects.toThrow(/weight "encoder.final_layer_norm.weight" holds NaN at \[5\]/);
    await opened.checkpoint.close();

    const fp8 = edited((e) => {
      const bytes = new Uint8Array(64).fill(0x38);
      bytes[63] = 0x7f;
      e.set('encoder.final_layer_norm.weight', { dtype: 'F8_E4M3', shape: [64], bytes });
    });
    await expect(readT5EncoderWeights(fp8)).rejects.toThrow(/"encoder.final_layer_norm.weight" holds NaN at \[63\]/);
  });
});

describe("ComfyUI's scaled fp8 (t5xxl_fp8_e4m3fn_scaled.safetensors)", () => {
  const FILE = 't5-gated-a_fp8_e4m3fn_scaled.safetensors';
  const scaled = entriesOf(FILE);

  it('a lone file: the config read off the shapes is the model config', async () => {
    const files = memoryFiles({ [FILE]: fs.readFileSync(path.join(A, FILE)) });
    const opened = await openT5EncoderCheckpoint(files, { file: FILE });
    await opened.checkpoint.close();
    expect(opened.config).toEqual(parseT5Config(fixtureConfig('t5-gated-a')));
    expect(opened.scaledFp8).toEqual({ weightDtype: 'F8_E4M3' });
  });

  it('Linear weights are the F8 values times scale_weight in float32; the rest widened as stored', async () => {
    const files = memoryFiles({ [FILE]: fs.readFileSync(path.join(A, FILE)) });
    const { tensors } = await readT5EncoderWeights(files, { file: FILE });
    const key = 'encoder.block.1.layer.1.DenseReluDense.wo';
    const scale = new Float32Array(scaled.get(`${key}.scale_weight`)!.bytes.slice().buffer)[0]!;
    const raw = f8E4M3BytesToFloat32(scaled.get(`${key}.weight`)!.bytes);
    expect(tensors.get(`${key}.weight`)!.data).toEqual(raw.map((v) => Math.fround(v * scale)));
    const ln = scaled.get('encoder.final_layer_norm.weight')!;
    expect(ln.dtype).toBe('F16');
    expect(tensors.get('encoder.final_layer_norm.weight')!.data).toEqual(toFloat32('F16', new Uint16Array(ln.bytes.slice().buffer)));
  });

  it('keeps F8 in 16 bits (exactly) for engines that cast per node, with the scale beside it', async () => {
    const files = memoryFiles({ [FILE]: fs.readFileSync(path.join(A, FILE)) });
    const opened = await openT5EncoderCheckpoint(files, { file: FILE });
    const floats = await readT5EncoderWeights(memoryFiles({ [FILE]: fs.readFileSync(path.join(A, FILE)) }), { file: FILE });
    for await (const w of opened.storedWeights()) {
      expect(w.dtype).toBe('F16');
      const widened = toFloat32('F16', w.data as Uint16Array).map((v) => (w.scale === null ? v : Math.fround(v * w.scale)));
      expect(widened).toEqual(floats.tensors.get(w.name)!.data);
    }
  });

  const refuse = async (edit: (e: Map<string, RawEntry>) => void, message: RegExp): Promise<void> => {
    const entries = entriesOf(FILE);
    edit(entries);
    const files = memoryFiles({ [FILE]: rawSafetensors(entries) });
    const e = await openT5EncoderCheckpoint(files, { file: FILE }).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message).toMatch(message);
  };

  it('refuses scales without the marker (ComfyUI would drop them: wrong weights)', async () => {
    await refuse((e) => e.delete('scaled_fp8'), /"encoder.block.0.layer.0.SelfAttention.q.scale_weight" \[\] \(t5-gated-a_fp8_e4m3fn_scaled.safetensors\): a ComfyUI scale tensor in a file without the "scaled_fp8" marker/);
  });

  it('refuses a Linear weight that is not the marked F8 dtype, a scale on a norm, a non-scalar scale, an odd marker', async () => {
    await refuse((e) => {
      const q = e.get('encoder.block.0.layer.0.SelfAttention.q.weight')!;
      e.set('encoder.block.0.layer.0.SelfAttention.q.weight', { dtype: 'F16', shape: q.shape, bytes: new Uint8Array(q.bytes.length * 2) });
    }, /"encoder.block.0.layer.0.SelfAttention.q.weight" is F16, but the "scaled_fp8" marker makes every Linear weight F8_E4M3/);
    await refuse((e) => e.set('encoder.final_layer_norm.scale_weight', { dtype: 'F32', shape: [], bytes: f32([2]) }), /a scale for "encoder.final_layer_norm", which is not a Linear layer/);
    await refuse((e) => e.set('encoder.block.0.layer.0.SelfAttention.k.scale_weight', { dtype: 'F32', shape: [2], bytes: f32([1, 2]) }), /a F32 scale must be one float/);
    await refuse((e) => e.set('scaled_fp8', { dtype: 'I8' as SafetensorsDtype, shape: [0], bytes: new Uint8Array(0) }), /the ComfyUI marker "scaled_fp8" has dtype I8/);
  });

  it('a non-finite scale is an error naming it', async () => {
    const entries = entriesOf(FILE);
    entries.set('encoder.block.0.layer.0.SelfAttention.v.scale_weight', { dtype: 'F32', shape: [], bytes: f32([NaN]) });
    const files = memoryFiles({ [FILE]: rawSafetensors(entries) });
    await expect(openT5EncoderCheckpoint(files, { file: FILE })).rejects.toThrow(/"encoder.block.0.layer.0.SelfAttention.v.scale_weight" is NaN/);
  });
});

describe('inputs', () => {
  it('T5 has no position table: any length; ids checked against vocab_size', async () => {
    const { checkInputs } = await import('../../src/index.js');
    const config = parseT5Config(fixtureConfig('t5-gated-a'));
    expect(checkInputs(config, [Array.from({ length: 5000 }, () => 1)]).seqLen).toBe(5000);
    expect(() => checkInputs(config, [[1, 100]])).toThrow(/inputIds\[0\]\[1\] = 100 is out of range: ids must be in \[0, 100\)/);
  });
});
