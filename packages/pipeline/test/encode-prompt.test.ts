import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineName } from '@sdtext/core';
import { OnnxCLIPTextModel } from '@sdtext/onnx';
import { CLIPTextModel } from '@sdtext/text-encoder';
import { TextPipeline, disposeEmbeddings, type PromptEmbeddings } from '../src/index.js';
import { fixtureRepo, writeRepo, type FixtureKind, type FixtureOptions } from './helpers/fixture-repos.js';
import { clipSkipReference, hiddenState, loadGolden, maxAbsDiff, sliceLastAxis, takeRows, type Golden } from './helpers/golden.js';
import { tempDir } from './helpers/paths.js';

/** About 3x the worst over every case of this file: 3.4e-6 (tfjs), 4.35e-6 (onnx). */
const BOUND = { tfjs: 1.1e-5, onnx: 1.3e-5 };
let root: { path: string; remove: () => Promise<void> };
let counter = 0;
const pipelines: TextPipeline<EngineName>[] = [];

beforeAll(async () => {
  root = await tempDir('pipeline');
});
afterAll(async () => {
  for (const p of pipelines) await p.dispose();
  await root.remove();
});

async function loadOn(engine: EngineName, kind: FixtureKind, options: FixtureOptions = {}): Promise<TextPipeline<EngineName>> {
  const dir = await writeRepo(`${root.path}/${kind}-${counter++}`, await fixtureRepo(kind, options));
  const pipe = await TextPipeline.fromPretrained(dir, { engine, backend: 'cpu', ...(options.variant ? { variant: options.variant } : {}) });
  expect(pipe.engine).toBe(engine);
  pipelines.push(pipe);
  return pipe;
}

function data(t: tf.Tensor | null): Float32Array {
  if (t === null) throw new Error('expected a tensor');
  return t.dataSync() as Float32Array;
}

async function withEmbeddings(run: () => Promise<PromptEmbeddings>, check: (e: PromptEmbeddings) => void): Promise<void> {
  const before = tf.memory().numTensors;
  const e = await run();
  try {
    check(e);
  } finally {
    disposeEmbeddings(e);
  }
  // Everything encodePrompt made is either returned or freed.
  expect(tf.memory().numTensors).toBe(before);
}

// Every expectation holds on both engines: the same golden outputs, within the same 1e-4.
for (const engine of ['tfjs', 'onnx'] as const) {
  describe(`on the ${engine} engine`, () => {
    const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>): void => {
      expect(maxAbsDiff(actual, expected)).toBeLessThan(BOUND[engine]);
    };
    const load = (kind: FixtureKind, options: FixtureOptions = {}): Promise<TextPipeline<EngineName>> => loadOn(engine, kind, options);

    for (const [kind, model] of [
      ['sd2', 'sd2-tiny'],
      ['sd1', 'sd1-tiny'],
    ] as const) {
      describe(`${kind} encode_prompt on the golden tiny model`, () => {
        let pipe: TextPipeline<EngineName>;
        let golden: Golden;
        let rowSize: number;
        beforeAll(async () => {
          pipe = await load(kind);
          golden = await loadGolden(model, 'pad77');
          rowSize = golden.shape.seq * golden.shape.hidden;
        });

        it('loads the diffusers layout', () => {
          expect(pipe.kind).toBe('sd');
          expect(pipe.tokenizer.padToken).toBe(kind === 'sd2' ? '!' : '<|endoftext|>');
          expect(pipe.textEncoder.config.hidden_size).toBe(32);
          expect(pipe.tokenizer2).toBeNull();
          expect(pipe.useAttentionMask).toBe(false);
        });

        it('prompt embeddings are last_hidden_state; the default negative is ""', async () => {
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: golden.texts }),
            (e) => {
              expect(e.promptEmbeds.shape).toEqual([4, 77, 32]);
              expectClose(data(e.promptEmbeds), golden.lastHiddenState);
              expect(e.negativePromptEmbeds!.shape).toEqual([4, 77, 32]);
              // golden.texts[3] is "": every negative row is its encoding.
              expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [3, 3, 3, 3]));
              expect(e.pooledPromptEmbeds).toBeNull();
            },
          );
        });

        it('negative prompts (string for all, list per prompt) and guidance off', async () => {
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: [golden.texts[0]!, golden.texts[1]!], negativePrompt: golden.texts[2]! }),
            (e) => expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [2, 2])),
          );
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: [golden.texts[0]!, golden.texts[1]!], negativePrompt: [golden.texts[1]!, golden.texts[0]!] }),
            (e) => expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [1, 0])),
          );
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: golden.texts[0]!, guidance: false }),
            (e) => {
              expect(e.negativePromptEmbeds).toBeNull();
              expect(e.promptEmbeds.shape).toEqual([1, 77, 32]);
            },
          );
          await expect(pipe.encodePrompt({ prompt: ['a', 'b'], negativePrompt: ['c'] })).rejects.toThrow(/batch size 1.*batch size 2/);
        });

        it('numImagesPerPrompt repeats each row in place', async () => {
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: [golden.texts[0]!, golden.texts[2]!], numImagesPerPrompt: 2, negativePrompt: [golden.texts[1]!, golden.texts[3]!] }),
            (e) => {
              expect(e.promptEmbeds.shape).toEqual([4, 77, 32]);
              expectClose(data(e.promptEmbeds), takeRows(golden.lastHiddenState, rowSize, [0, 0, 2, 2]));
              expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [1, 1, 3, 3]));
            },
          );
        });

        it('clipSkip = hidden_states[-(clipSkip + 1)] through the final LayerNorm; the negative is not skipped', async () => {
          const expected = await clipSkipReference(model, 1);
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: golden.texts, clipSkip: 1 }),
            (e) => {
              expectClose(data(e.promptEmbeds), expected);
              expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [3, 3, 3, 3]));
            },
          );
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: golden.texts, clipSkip: 0, guidance: false }),
            (e) => expectClose(data(e.promptEmbeds), golden.lastHiddenState),
          );
          // The edge: clip_skip = the number of layers takes the embeddings' output (hidden_states[0]).
          const embeddingsOnly = await clipSkipReference(model, 2);
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: golden.texts, clipSkip: 2, guidance: false }),
            (e) => expectClose(data(e.promptEmbeds), embeddingsOnly),
          );
          await expect(pipe.encodePrompt({ prompt: 'a', clipSkip: 3 })).rejects.toThrow(/2 layers/);
        });

        it('precomputed embeddings pass through (copied, the caller keeps its own)', async () => {
          const mine = tf.tensor3d(golden.lastHiddenState, [4, 77, 32]);
          await withEmbeddings(
            () => pipe.encodePrompt({ promptEmbeds: mine, numImagesPerPrompt: 2 }),
            (e) => {
              expect(e.promptEmbeds.shape).toEqual([8, 77, 32]);
              expectClose(data(e.negativePromptEmbeds), takeRows(golden.lastHiddenState, rowSize, [3, 3, 3, 3, 3, 3, 3, 3]));
            },
          );
          expect(mine.isDisposed).toBe(false);
          mine.dispose();
          await expect(pipe.encodePrompt({ prompt: 'a', promptEmbeds: { data: new Float32Array(77 * 32), shape: [1, 77, 32] } })).rejects.toThrow(
            /only forward one/,
          );
        });

        it('long prompts are truncated with diffusers warning quoting the removed text', async () => {
          const warnings: string[] = [];
          const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
          await withEmbeddings(
            () => pipe.encodePrompt({ prompt: `${words} tail end`, onWarning: (m) => warnings.push(m), guidance: false }),
            (e) => expect(e.promptEmbeds.shape).toEqual([1, 77, 32]),
          );
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toMatch(
            /^The following part of your input was truncated because CLIP can only handle sequences up to 77 tokens: \['.*tail end'\]$/,
          );
        });

        it("output: 'array' gives Float32Arrays with shapes", async () => {
          const before = tf.memory().numTensors;
          const e = await pipe.encodePrompt({ prompt: golden.texts, output: 'array' });
          expect(tf.memory().numTensors).toBe(before);
          expect(e.promptEmbeds.shape).toEqual([4, 77, 32]);
          expect(e.promptEmbeds.data).toBeInstanceOf(Float32Array);
          expectClose(e.promptEmbeds.data, golden.lastHiddenState);
          expect(e.negativePromptEmbeds!.shape).toEqual([4, 77, 32]);
        });
      });
    }

    describe('attention mask', () => {
      it('is passed only when text_encoder/config.json sets use_attention_mask', async () => {
        const pipe = await load('sd2', { encoderConfig: { use_attention_mask: true } });
        expect(pipe.useAttentionMask).toBe(true);
        const masked = await loadGolden('sd2-tiny', 'pad77_masked');
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: masked.texts, guidance: false }),
          (e) => expectClose(data(e.promptEmbeds), masked.lastHiddenState),
        );
      });
    });

    describe('SDXL: two encoders', () => {
      let g1: Golden;
      let g2: Golden;
      beforeAll(async () => {
        g1 = await loadGolden('sd1-tiny', 'pad77');
        g2 = await loadGolden('sd2-tiny', 'pad77');
      });

      it('concatenates both penultimate hidden states (no final LayerNorm) and pools from encoder 2', async () => {
        const pipe = await load('sdxl');
        expect(pipe.kind).toBe('sdxl');
        expect(pipe.forceZerosForEmptyPrompt).toBe(true);
        expect(pipe.tokenizer2!.padToken).toBe('!');
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: g1.texts }),
          (e) => {
            expect(e.promptEmbeds.shape).toEqual([4, 77, 64]);
            const out = data(e.promptEmbeds);
            expectClose(sliceLastAxis(out, 64, 0, 32), hiddenState(g1, -2));
            expectClose(sliceLastAxis(out, 64, 32, 64), hiddenState(g2, -2));
            expect(e.pooledPromptEmbeds!.shape).toEqual([4, 16]);
            expectClose(data(e.pooledPromptEmbeds), g2.textEmbeds);
            // force_zeros_for_empty_prompt and no negative prompt: zeros.
            expect(data(e.negativePromptEmbeds).every((v) => v === 0)).toBe(true);
            expect(data(e.negativePooledPromptEmbeds).every((v) => v === 0)).toBe(true);
            expect(e.negativePooledPromptEmbeds!.shape).toEqual([4, 16]);
          },
        );
      });

      it('encodes "" as the negative when force_zeros_for_empty_prompt is false; prompt2 / negativePrompt2', async () => {
        const pipe = await load('sdxl', { forceZeros: false });
        const row = 77 * 32;
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: [g1.texts[0]!], prompt2: [g1.texts[1]!], numImagesPerPrompt: 2 }),
          (e) => {
            const out = data(e.promptEmbeds);
            expect(e.promptEmbeds.shape).toEqual([2, 77, 64]);
            expectClose(sliceLastAxis(out, 64, 0, 32), takeRows(hiddenState(g1, -2), row, [0, 0]));
            expectClose(sliceLastAxis(out, 64, 32, 64), takeRows(hiddenState(g2, -2), row, [1, 1]));
            expectClose(data(e.pooledPromptEmbeds), takeRows(g2.textEmbeds, 16, [1, 1]));
            const neg = data(e.negativePromptEmbeds);
            expectClose(sliceLastAxis(neg, 64, 0, 32), takeRows(hiddenState(g1, -2), row, [3, 3]));
            expectClose(sliceLastAxis(neg, 64, 32, 64), takeRows(hiddenState(g2, -2), row, [3, 3]));
            expectClose(data(e.negativePooledPromptEmbeds), takeRows(g2.textEmbeds, 16, [3, 3]));
          },
        );
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: g1.texts[0]!, negativePrompt: g1.texts[2]!, negativePrompt2: g1.texts[1]! }),
          (e) => {
            const neg = data(e.negativePromptEmbeds);
            expectClose(sliceLastAxis(neg, 64, 0, 32), takeRows(hiddenState(g1, -2), row, [2]));
            expectClose(sliceLastAxis(neg, 64, 32, 64), takeRows(hiddenState(g2, -2), row, [1]));
          },
        );
      });

      it('clipSkip indexes from the penultimate layer: hidden_states[-(clipSkip + 2)]', async () => {
        const pipe = await load('sdxl');
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: g1.texts, clipSkip: 1, guidance: false }),
          (e) => {
            const out = data(e.promptEmbeds);
            expectClose(sliceLastAxis(out, 64, 0, 32), hiddenState(g1, 0));
            expectClose(sliceLastAxis(out, 64, 32, 64), hiddenState(g2, 0));
          },
        );
      });

      it('precomputed SDXL embeddings need the pooled ones too', async () => {
        const pipe = await load('sdxl');
        const embeds = { data: new Float32Array(77 * 64), shape: [1, 77, 64] };
        await expect(pipe.encodePrompt({ promptEmbeds: embeds })).rejects.toThrow(/pooledPromptEmbeds/);
        await withEmbeddings(
          () => pipe.encodePrompt({ promptEmbeds: embeds, pooledPromptEmbeds: { data: new Float32Array(16), shape: [1, 16] } }),
          (e) => expect(e.negativePromptEmbeds!.shape).toEqual([1, 77, 64]),
        );
      });
    });

    describe('other layouts', () => {
      it('a plain CLIP repo (tokenizer and text model at the root)', async () => {
        const pipe = await load('clip');
        expect(pipe.kind).toBe('clip');
        const g = await loadGolden('sd1-tiny', 'pad77');
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: g.texts, guidance: false }),
          (e) => expectClose(data(e.promptEmbeds), g.lastHiddenState),
        );
      });

      it('variant fp16 loads model.fp16.safetensors', async () => {
        const pipe = await load('sd2', { variant: 'fp16' });
        const g = await loadGolden('sd2-tiny', 'pad77');
        await withEmbeddings(
          () => pipe.encodePrompt({ prompt: g.texts, guidance: false }),
          (e) => expectClose(data(e.promptEmbeds), g.lastHiddenState),
        );
      });
    });
  });
}

describe('engine choice', () => {
  it("tfjs (default) exposes the tfjs CLIPTextModel; 'auto' is ONNX Runtime in Node; tensors either way", async () => {
    const dir = await writeRepo(`${root.path}/engines-${counter++}`, await fixtureRepo('sd2'));
    const tfjs = await TextPipeline.fromPretrained(dir, { backend: 'cpu' });
    const auto = await TextPipeline.fromPretrained(dir, { engine: 'auto' });
    try {
      expect(tfjs.engine).toBe('tfjs');
      expect(tfjs.textEncoder).toBeInstanceOf(CLIPTextModel);
      expect(tfjs.encoder.backend).toBe('tfjs (cpu)');
      expect(auto.engine).toBe('onnx');
      expect(auto.encoder.fallbackReason).toBeUndefined();
      expect(auto.textEncoder).toBeInstanceOf(OnnxCLIPTextModel);
      const g = await loadGolden('sd2-tiny', 'pad77');
      await withEmbeddings(
        () => auto.encodePrompt({ prompt: g.texts, clipSkip: 1 }),
        (e) => expect(e.promptEmbeds).toBeInstanceOf(tf.Tensor),
      );
    } finally {
      await tfjs.dispose();
      await auto.dispose();
    }
    await expect(TextPipeline.fromPretrained(dir, { engine: 'torch' as 'onnx' })).rejects.toThrow(/engine must be one of "tfjs", "onnx", "auto"/);
  });
});
