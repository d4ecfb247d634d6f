import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextPipeline, parseModelIndex, t5StackOf } from '../src/index.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { fixturesDir, tempDir, tinyModelDir } from './helpers/paths.js';
import { fluxRepo, sd3Repo } from './helpers/t5-repos.js';

let root: { path: string; remove: () => Promise<void> };
let sd3: TextPipeline;
let flux: TextPipeline;
let sd1: TextPipeline;

beforeAll(async () => {
  root = await tempDir('sd3-errors');
  sd3 = await TextPipeline.fromPretrained(await writeRepo(join(root.path, 'sd3'), await sd3Repo()), { backend: 'cpu' });
  flux = await TextPipeline.fromPretrained(await writeRepo(join(root.path, 'flux'), await fluxRepo()), { backend: 'cpu' });
  sd1 = await TextPipeline.fromPretrained(await writeRepo(join(root.path, 'sd1'), await fixtureRepo('sd1')), { backend: 'cpu' });
});
afterAll(async () => {
  for (const p of [sd3, flux, sd1]) await p?.dispose();
  await root.remove();
});

const index = (components: Record<string, unknown>) => parseModelIndex(JSON.stringify({ _class_name: 'X', ...components }), 'model_index.json');

describe('SD3 / Flux: what is refused, and how it says so', () => {
  it("routes by model_index.json's class names", () => {
    expect(t5StackOf(index({ text_encoder_3: ['transformers', 'T5EncoderModel'] }), 'm')).toBe('sd3');
    expect(t5StackOf(index({ text_encoder_3: [null, null] }), 'm')).toBe('sd3');
    expect(t5StackOf(index({ text_encoder_2: ['transformers', 'T5EncoderModel'] }), 'm')).toBe('flux');
    expect(t5StackOf(index({ text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'] }), 'm')).toBeNull();
    expect(() => t5StackOf(parseModelIndex(JSON.stringify({ _class_name: 'PixArtAlphaPipeline', text_encoder: ['transformers', 'T5EncoderModel'] }), 'x'), 'x/model_index.json')).toThrow(
      "x/model_index.json: PixArtAlphaPipeline has a T5EncoderModel as text_encoder: the T5 stacks supported are Stable Diffusion 3's (text_encoder_3) and Flux's (text_encoder_2)",
    );
  });

  it('checks the prompt options as diffusers does, naming them', async () => {
    await expect(sd3.encodePrompt({ prompt: 'a', maxSequenceLength: 600, output: 'array' })).rejects.toThrow('`maxSequenceLength` cannot be greater than 512 but is 600');
    await expect(sd3.encodePrompt({ prompt: ['a', 'b'], negativePrompt: ['x'], output: 'array' })).rejects.toThrow(
      '`negativePrompt` has batch size 1, but `prompt` has batch size 2.',
    );
    await expect(sd3.encodePrompt({ prompt: ['a', 'b'], prompt3: ['x'], output: 'array' })).rejects.toThrow('`prompt3` has batch size 1, but `prompt` has batch size 2.');
    const embeds = { data: new Float32Array(333 * 80), shape: [1, 333, 80] };
    await expect(sd3.encodePrompt({ promptEmbeds: embeds, output: 'array' })).rejects.toThrow('If `promptEmbeds` is provided, `pooledPromptEmbeds` also has to be passed (SD3).');
    await expect(flux.encodePrompt({ prompt: 'a', clipSkip: 1, output: 'array' })).rejects.toThrow('Flux has no clip skip');
    await expect(flux.encodePrompt({ prompt: 'a', prompt3: 'b', output: 'array' })).rejects.toThrow("prompt3 is SD3's (its T5 prompt); Flux's T5 takes prompt2");
    await expect(sd1.encodePrompt({ prompt: 'a', maxSequenceLength: 77, output: 'array' })).rejects.toThrow('maxSequenceLength is for SD3 / Flux (their T5 prompt); this is a CLIP pipeline');
  });

  it('refuses what it does not do on SD3 / Flux', async () => {
    await expect(sd3.encodePrompt({ prompt: 'a (b:1.2)', dialect: 'a1111', output: 'array' })).rejects.toThrow(
      "SD3 prompts take dialect 'comfy' (ComfyUI's sd3_clip code); webui's and compel's SD3 conditioning are not implemented",
    );
    await expect(flux.encodePrompt({ prompt: 'a', dialect: 'comfy', clipSkip: -2, output: 'array' })).rejects.toThrow("ComfyUI's CLIPSetLastLayer also cuts T5 there");
    await expect(sd3.encodePrompt({ prompt: 'a', steps: 20, output: 'array' })).rejects.toThrow('SD3 prompts are encoded as one conditioning');
    await expect(sd3.loadTextualInversion({ folder: root.path })).rejects.toThrow('textual inversion is not supported on SD3 pipelines yet');
    await expect(
      TextPipeline.fromPretrained(join(root.path, 'sd3'), { backend: 'cpu', textualInversion: [{ file: join(fixturesDir, 'checkpoint-extras', 'ti-dog.bin') }] }),
    ).rejects.toThrow('textual inversion and LoRA are not supported on Stable Diffusion 3 yet');
  });

  it('says what is missing when files come without a T5 tokenizer, or without the encoders a stack needs', async () => {
    const clip = join(tinyModelDir('sd1-tiny'), 'text_model', 'model.safetensors');
    const t5 = join(fixturesDir, 'flux', 'text_encoder_2', 'model.safetensors');
    await expect(TextPipeline.fromFiles({ clipL: clip, t5 }, { backend: 'cpu', clipLConfig: { num_attention_heads: 4 } })).rejects.toThrow(
      'a T5 encoder file comes without its tokenizer: pass t5Tokenizer',
    );
    await expect(TextPipeline.fromFiles({ clipL: clip }, { backend: 'cpu' })).rejects.toThrow('Flux needs a T5 file (files.t5) beside clip_l; SD3 needs clip_g');
    await expect(TextPipeline.fromFiles({ clipL: join(root.path, 'nope.safetensors'), clipG: clip }, { backend: 'cpu' })).rejects.toThrow(`${join(root.path, 'nope.safetensors')}: no such file`);
    await expect(TextPipeline.fromFiles({ clipL: t5, clipG: clip, t5 }, { backend: 'cpu', t5Tokenizer: join(fixturesDir, 't5-tokenizer', 't5-nobf') })).rejects.toThrow(
      `${t5}: no "text_model.embeddings.token_embedding.weight": not a transformers CLIP text model file (clip_l)`,
    );
  });
});
