// What each cell must print, on every engine and backend. Every cell on a page must be listed here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCLIPTextTransformer, parseCLIPTextConfig } from '@sdtext/text-encoder';
import { getLearnedConditioningPromptSchedules, getMulticondPromptList } from '@sdtext/prompt';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { expect } from 'vitest';
import * as seed from '../../src/seed/outputs';
import { expectedFromSeed } from '../../src/lib/compare';
import { readSafetensors } from '../../src/lib/safetensors';
import { maxAbsDiff, REPO, TINY, type CellRun } from './harness';

export const tinyConfig = parseCLIPTextConfig(JSON.parse(readFileSync(join(TINY, 'text_model/config.json'), 'utf8')), 'sd2-tiny');
const H = tinyConfig.hidden_size;

/** Where a page ran: the engine and backend asked for, and the threads it must report. */
export interface Target {
  engine: 'tfjs' | 'onnx';
  backend: 'webgl' | 'webgpu' | 'wasm';
  /** Threads the bar and the cells report (null: the backend reports none). */
  threads: number | null;
}

/**
 * The demo model against PyTorch (case `longest`): about 3x the largest |difference| each target
 * achieved in a run here (last_hidden_state, the larger of the two outputs; artifacts/site/parity.json
 * has each run's). Float32 everywhere (WebGL refuses float16 devices).
 */
export const REFERENCE_BOUND: Record<string, number> = {
  'tfjs-wasm': 8e-6, // measured 2.6e-6
  'tfjs-webgl': 8e-6, // measured 2.6e-6
  'tfjs-webgpu': 8e-6, // measured 2.7e-6
  'onnx-wasm': 1.1e-5, // measured 3.6e-6
  'onnx-webgpu': 8e-6, // measured 2.7e-6
};

/** The largest |difference| to PyTorch per target and output, as measured (artifacts/site/parity.json). */
export const referenceErrors: Record<string, Record<string, number>> = {};

export const CHECKS: Record<string, (run: CellRun, target: Target) => void> = {
  'setup-backend': (r, t) => {
    expect(r.output).toContain(`engine: ${t.engine} | backend: ${t.backend} | threads: ${t.threads ?? 'None'}`);
    // tfjs holds the cells' tensors: on its own backend, or on cpu under ONNX Runtime.
    expect(r.output).toContain(`tf.getBackend(): ${t.engine === 'onnx' ? 'cpu' : t.backend}`);
  },
  'pipeline-tokenizer': (r) => expect(r.output.replace(/name_or_path='[^']*'/, "name_or_path='…'")).toBe(expectedFromSeed(seed.tokenizerSummary, 'name-or-path')),
  'pipeline-text-encoder': (r) => {
    expect(r.output).toContain(`'hidden_size': ${H}`);
    expect(r.output).toContain("SD2:    {'vocab_size': 49408, 'max_position_embeddings': 77, 'hidden_size': 1024, 'intermediate_size': 4096, 'num_hidden_layers': 23");
  },
  'tok-tokenize': (r) => expect(r.output).toBe(seed.tokenize),
  'tok-ids': (r) => expect(r.output).toBe(seed.convertTokensToIds),
  'tok-pad': (r) => expect(r.output).toBe(seed.padTruncate),
  'tok-decode': (r) => expect(r.output).toBe(seed.decode),
  'tok-vocab-size': (r) => expect(r.output).toBe(seed.vocabSize),
  'tok-special': (r) => expect(r.output).toBe(seed.specialTokensMap),
  'tok-decoder': (r) => expect(r.output).toBe(seed.decoderLookup),
  'tok-unknown': (r) => expect(r.output).toBe(seed.tokenizeUnknown),
  'tok-call': (r) => expect(r.output).toBe(seed.callAbcd),
  'tok-idx2token': (r) => expect(r.output).toBe(seed.idToToken),
  'tok-punct': (r) => expect(r.output).toMatch(/^\['a<\/w>', 'cat<\/w>', ',<\/w>'/),
  'enc-call': (r) => {
    expect(r.output.startsWith(expectedFromSeed(`${seed.encoderInputs}\n${seed.encoderOutputs}`, 'prefix'))).toBe(true);
    expect(r.output).toContain("{'last_hidden_state': tensor([[[");
    expect(r.output).toContain("'pooler_output': tensor([[");
    expect(r.value).toEqual({ shapes: [[2, 11, H], [2, H]] });
  },
  'enc-pad77': (r) => {
    expect(r.output.startsWith(expectedFromSeed(seed.pad77Inputs, 'prefix'))).toBe(true);
    expect(r.output).toContain(`shapes: [2, 11, ${H}] [2, 77, ${H}]`);
    expect(r.output).toContain('first 11 positions equal: True');
    expect(r.output).toContain('pooler_output equal: True');
  },
  'enc-tree': (r) => expect(r.output).toBe(seed.textModelTree),
  'enc-tree-loaded': (r) => expect(r.output).toBe(describeCLIPTextTransformer(tinyConfig)),
  'enc-pooler': (r) => {
    expect(r.output).toContain('EOS positions: [6, 10]');
    expect(r.output).toContain('pooler_output == last_hidden_state[b, eos[b]]: True');
  },
  // The original's last step, `CLIPTextTransformer??`: the class's source, as the package has it.
  'enc-source': (r) => expect(r.output).toBe(readFileSync(join(REPO, 'packages/text-encoder/src/modules/clip-text-transformer.ts'), 'utf8').replace(/\n$/, '')),
  'unet-shape': (r) => {
    expect(r.output).toContain(`prompt_embeds: [1, 77, ${H}] (SD2: [1, 77, 1024])`);
    expect(r.output).toContain('text rows 0 .. 6 equal with and without the mask: True');
    expect(r.output).toContain('padding rows differ: True');
  },
  'unet-cfg': (r) => {
    expect(r.output).toContain('ids of the empty prompt: [49406, 49407, 0, 0] … 77 ids');
    expect(r.output).toContain(`the UNet's encoder_hidden_states: [2, 77, ${H}]`);
  },
  'unet-clip-skip': (r) => {
    expect(r.output).toContain(`hidden_states: ${tinyConfig.num_hidden_layers + 1} tensors`);
    expect(r.output).toContain(`clip_skip=0: [1, 77, ${H}] equal to last_hidden_state: True`);
    expect(r.output).toContain(`clip_skip=1: [1, 77, ${H}] equal to last_hidden_state: False`);
  },
  'unet-limit': (r) => {
    expect(r.output).toMatch(/^tokens: \d+ of which the encoder sees 75\n/);
    expect(r.output).toContain('The following part of your input was truncated');
    expect(r.output).toContain('kept ids: 77 ending with [');
    expect(r.output).toMatch(/, 49407\]$/);
  },
  // Prompts as front ends write them: plain text to diffusers, chunks and weights to A1111/ComfyUI.
  'prompt-plain': (r) => {
    // The brackets, the colon, the digits and BREAK are tokens like any other.
    const tokens = CLIPTokenizer.fromPreset('sd2').tokenize('a (red:1.3) cat, [blurry] BREAK masterpiece');
    expect(tokens).toContain('break</w>');
    expect(r.output.split('\n')[0]).toBe(`[${tokens.map((t) => `'${t}'`).join(', ')}]`);
    expect(r.output).toContain(`prompt_embeds: [1, 77, ${H}]`);
  },
  'prompt-break': (r) => {
    expect(r.output).toContain(`prompt_embeds:          [1, 154, ${H}] (SD2: [1, 154, 1024])`);
    // webui's default: the negative prompt keeps its own length (one chunk); padCondUncond pads it.
    expect(r.output).toContain(`negative_prompt_embeds: [1, 77, ${H}]`);
  },
  'prompt-cache': (r) => {
    expect(r.output).toContain(`weight-only edit: [1, 154, ${H}] encoder calls: 0`);
    // The cache's encoderCalls: unchanged by a weight-only edit, one run when a word changes.
    expect(r.value).toEqual({ weightEdit: 0, wordEdit: 1 });
  },
  'prompt-schedule': (r) => {
    // What webui's prompt_parser makes of it (get_multicond_prompt_list, then each part's schedule:
    // @sdtext/prompt's ports, held to webui's doctests), printed as the cell prints it.
    const expected = (prompt: string, steps: number): { untilStep: number; parts: { weight: number; text: string }[] }[] => {
      const { indexes, flatList } = getMulticondPromptList([prompt]);
      const parts = indexes[0]!.map(({ index, weight }) => ({ weight, schedule: getLearnedConditioningPromptSchedules([flatList[index]!], steps)[0]! }));
      const ends = [...new Set(parts.flatMap((p) => p.schedule.map(([end]) => end)))].sort((a, b) => a - b);
      return ends.map((untilStep) => ({ untilStep, parts: parts.map((p) => ({ weight: p.weight, text: p.schedule.find(([end]) => end >= untilStep)![1] })) }));
    };
    const schedule = expected('a [cat:dog:0.5] AND a tree :0.5', 10);
    expect(schedule.map((e) => e.untilStep)).toEqual([5, 10]);
    const lines = schedule.flatMap((e) => [`until step ${e.untilStep}:`, ...e.parts.map((p) => `  weight ${p.weight}  ${JSON.stringify(p.text)}  ${JSON.stringify([1, 77, H])}`)]);
    expect(r.output).toContain(lines.join('\n'));
    const alternating = expected('a [cat|dog]', 6).map((e) => e.parts[0]!.text);
    expect(alternating).toEqual(['a cat', 'a dog', 'a cat', 'a dog', 'a cat', 'a dog']);
    expect(r.output).toContain(`a [cat|dog] over 6 steps: ${alternating.join(' / ')}`);
    expect(r.value).toEqual({ entries: 2, alternating: 6 });
  },
  'prompt-clip-skip': (r) => {
    // The demo model is SD2-shaped: ComfyUI counts OpenCLIP's whole tower (its -2 is diffusers'
    // default), and webui ignores Clip skip there (its OpenCLIP embedder).
    expect(r.output).toContain("ComfyUI CLIPSetLastLayer(-2) = diffusers' default: True");
    expect(r.output).toContain('ComfyUI CLIPSetLastLayer(-3) = diffusers clip_skip 1: True');
    expect(r.output).toContain('A1111 Clip skip 2 = A1111 Clip skip 1: True');
  },
  'prompt-dialects': (r) => {
    expect(r.output).toContain(`(red:1.3): A1111 [1, 77, ${H}] ComfyUI [1, 77, ${H}]`);
    expect(r.output).toContain('A1111 and ComfyUI differ (by more than 1e-4): True');
    expect(r.output).toContain('no weights, a1111 equal to diffusers: True');
    expect(r.output).toContain('no weights, comfy equal to diffusers: True');
  },
  'enc-reference': (r, t) => {
    expect(r.output).toContain('input_ids equal: True');
    const value = r.value as { texts: string[]; lastHiddenState: number[][][]; poolerOutput: number[][] };
    const manifest = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as { cases: { longest: { texts: string[] } } };
    expect(value.texts).toEqual(manifest.cases.longest.texts);
    const ref = readSafetensors(readFileSync(join(TINY, 'outputs/longest.safetensors')));
    const key = `${t.engine}-${t.backend}`;
    for (const [name, got] of [['last_hidden_state', value.lastHiddenState], ['pooler_output', value.poolerOutput]] as const) {
      const want = ref.get(name);
      if (!want) throw new Error(`reference has no ${name}`);
      const worst = maxAbsDiff((got as unknown[]).flat(2) as number[], want.data);
      (referenceErrors[key] ??= {})[name] = worst;
      // A target with no measured bound fails: it does not fall back to a looser one.
      expect(REFERENCE_BOUND[key], `no measured bound for ${key} (REFERENCE_BOUND)`).toBeDefined();
      expect(worst, `${key} ${name} max |diff| vs PyTorch`).toBeLessThan(REFERENCE_BOUND[key]!);
    }
  },
};
