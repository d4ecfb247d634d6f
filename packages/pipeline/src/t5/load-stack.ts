import type { CLIPTextConfig, TextEncoderName } from '@sdtext/core';
import { extractSd3TextEncoders } from '@sdtext/core';
import type { T5Config } from '@sdtext/core/t5';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { encoderFolder } from '../encoder-folder.js';
import type { FileSource } from '../file-source.js';
import type { HubSourceOptions } from '../hub/file-source.js';
import { loadTextEncoder, type EngineChoice, type LoadTextEncoderOptions, type LoadedTextEncoder } from '../load-text-encoder.js';
import { LocalFolderSource } from '../local-folder-source.js';
import { hasComponent, type ModelIndex } from '../model-index.js';
import { resolveSource } from '../resolve-source.js';
import type { PipelineParts, SingleFilePipelineOptions, TextPipelineOptions } from '../text-pipeline.js';
import { loadT5Encoder, type LoadT5EncoderOptions, type LoadedT5Encoder } from './load-t5-encoder.js';
import { loneClipFolder } from './lone-clip-folder.js';

/** The T5 stacks: SD3 (CLIP-L, CLIP-G, T5 as text_encoder_3) and Flux (CLIP-L, T5 as text_encoder_2). */
export type T5StackKind = 'sd3' | 'flux';

/** Options of the T5 encoder the pipeline passes on (ONNX Runtime's weight transfer, memory, the cache...). */
export type T5EngineOptions = Omit<LoadT5EncoderOptions, 'engine' | 'backend' | 'subfolder' | 'variant' | 'file' | 'onProgress' | 'fetch'>;

/** What TextPipeline.fromPretrained / fromFiles / fromSingleFile take for SD3 and Flux. */
export interface T5StackOptions {
  /** SD3 without its T5 (diffusers' `text_encoder_3=None`): T5's part of the embeddings is zeros. Flux needs its T5. */
  textEncoder3?: null;
  /** Passed to the T5 encoder's loader (see loadT5Encoder), beside `engineOptions`' runtime settings. */
  t5EngineOptions?: T5EngineOptions;
}

/** The input of TextPipeline.fromFiles: ComfyUI's separate text encoder files. */
export interface TextEncoderFiles {
  /** clip_l.safetensors (transformers layout, `text_model.*`). */
  clipL: string;
  /** clip_g.safetensors (SD3): with it the stack is SD3, without it Flux. */
  clipG?: string;
  /** t5xxl_fp16.safetensors, t5xxl_fp8_e4m3fn(_scaled).safetensors (config read off its shapes). */
  t5?: string;
}

export interface FilesPipelineOptions<E extends EngineChoice = EngineChoice> extends SingleFilePipelineOptions<E>, T5StackOptions {
  /** The T5 tokenizer: a T5Tokenizer, or a folder, URL, hub repo or FileSource holding one (an SD3 repo's tokenizer_3 and a Flux repo's tokenizer_2 are found). Files hold none. */
  t5Tokenizer?: T5Tokenizer | string | FileSource;
  /** Config fields of CLIP-L / CLIP-G the files cannot tell (num_attention_heads: hidden_size / 64 unless given). */
  clipLConfig?: Partial<CLIPTextConfig>;
  clipGConfig?: Partial<CLIPTextConfig>;
  /** T5 config fields no shape tells (relative_attention_max_distance 128, layer_norm_epsilon 1e-6 unless given). */
  t5Config?: Partial<T5Config>;
  /** SD3's transformer joint_attention_dim (the width of T5's zeros without a T5): default T5's d_model, else 4096. */
  jointAttentionDim?: number;
}

const T5_NAMES: Record<T5StackKind, { encoder: TextEncoderName | 'text_encoder_3'; tokenizer: string }> = {
  sd3: { encoder: 'text_encoder_3', tokenizer: 'tokenizer_3' },
  flux: { encoder: 'text_encoder_2', tokenizer: 'tokenizer_2' },
};

function refuseExtras(options: { textualInversion?: readonly unknown[]; lora?: readonly unknown[] }, what: string): void {
  if ((options.textualInversion?.length ?? 0) > 0 || (options.lora?.length ?? 0) > 0) {
    throw new Error(`textual inversion and LoRA are not supported on ${what} yet`);
  }
}

/** Loads one encoder after the other, disposing the loaded ones if a later one fails. */
class Loaded {
  private readonly all: { dispose(): Promise<void> }[] = [];
  async add<T extends { dispose(): Promise<void> }>(load: () => Promise<T>): Promise<T> {
    try {
      const model = await load();
      this.all.push(model);
      return model;
    } catch (error) {
      await Promise.all(this.all.map((m) => m.dispose()));
      throw error;
    }
  }
}

/**
 * The T5 engine options with the settings of `engineOptions` the two engines share: the runtime's,
 * and `dtype` (engineOptions' dtype 'q8' quantizes T5 as well as the CLIPs; `t5EngineOptions.dtype`
 * sets T5's alone).
 */
function t5Options(options: TextPipelineOptions<EngineChoice> & T5StackOptions): LoadT5EncoderOptions {
  const e = options.engineOptions ?? {};
  const shared = {
    ...(e.dtype !== undefined ? { dtype: e.dtype } : {}),
    ...(e.runtime !== undefined ? { runtime: e.runtime } : {}),
    ...(e.threads !== undefined ? { threads: e.threads } : {}),
    ...(e.executionProviders !== undefined ? { executionProviders: e.executionProviders } : {}),
    ...(e.wasmPaths !== undefined ? { wasmPaths: e.wasmPaths } : {}),
    ...(e.spinWait !== undefined ? { spinWait: e.spinWait } : {}),
    ...(e.tempDir !== undefined ? { tempDir: e.tempDir } : {}),
  };
  return {
    ...shared,
    ...options.t5EngineOptions,
    engine: options.engine ?? 'tfjs',
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  };
}

/** transformer/config.json's joint_attention_dim (SD3), or null. */
async function jointAttentionDimOf(files: FileSource): Promise<number | null> {
  const text = await files.readText('transformer/config.json');
  if (text === null) return null;
  const value = (JSON.parse(text) as { joint_attention_dim?: unknown }).joint_attention_dim;
  if (value === undefined) return null;
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${files.name}/transformer/config.json: joint_attention_dim must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/**
 * An SD3 or Flux diffusers repo (model_index.json names the stack): the CLIP tokenizers and
 * encoders as the CLIP pipelines load them, T5's tokenizer and encoder from `tokenizer_3` /
 * `text_encoder_3` (SD3) or `tokenizer_2` / `text_encoder_2` (Flux).
 */
export async function loadDiffusersT5Stack(
  files: FileSource,
  index: ModelIndex,
  kind: T5StackKind,
  options: TextPipelineOptions<EngineChoice> & T5StackOptions,
  loadClip: (subfolder: string, withProjection: boolean) => Promise<LoadedTextEncoder>,
): Promise<PipelineParts> {
  const what = kind === 'sd3' ? 'Stable Diffusion 3' : 'Flux';
  refuseExtras(options, what);
  const names = T5_NAMES[kind];
  const hasT5 = hasComponent(index, names.encoder) && options.textEncoder3 !== null;
  if (!hasT5 && kind === 'flux') throw new Error(`${files.name}/model_index.json: Flux needs its T5 (text_encoder_2)`);
  const isProjection = (name: string): boolean => index.components[name]?.[1] === 'CLIPTextModelWithProjection';

  const tokenizer = options.tokenizer ?? (await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer' }));
  const tokenizer2 = kind === 'sd3' ? await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer_2' }) : null;
  const t5Tokenizer = hasT5 ? await T5Tokenizer.fromPretrained(files, { subfolder: names.tokenizer }) : null;
  const loaded = new Loaded();
  const encoder = await loaded.add(() => loadClip('text_encoder', isProjection('text_encoder')));
  const encoder2 = kind === 'sd3' ? await loaded.add(() => loadClip('text_encoder_2', true)) : null;
  let t5Encoder: LoadedT5Encoder | null = null;
  if (hasT5) {
    // A local folder (or the hub cache's snapshot) streams on tfjs and is mapped by ONNX Runtime.
    const folder = await encoderFolder(files, names.encoder, options.variant, options.onProgress);
    t5Encoder = await loaded.add(() =>
      loadT5Encoder(folder ?? files, { ...t5Options(options), ...(folder === null ? { subfolder: names.encoder } : {}), ...(options.variant !== undefined ? { variant: options.variant } : {}) }),
    );
  }
  const joint = kind === 'sd3' ? ((await jointAttentionDimOf(files)) ?? t5Encoder?.config.d_model ?? 4096) : t5Encoder!.config.d_model;
  return {
    source: files,
    kind,
    modelIndex: index,
    tokenizer,
    encoder,
    tokenizer2,
    encoder2,
    useAttentionMask: false,
    forceZerosForEmptyPrompt: false,
    backend: options.backend,
    named: [],
    t5: { tokenizer: t5Tokenizer, encoder: t5Encoder, jointAttentionDim: joint, clipLPooled: isProjection('text_encoder') ? 'text_embeds' : 'pooler_output' },
    cleanup: [],
  };
}

/** A T5 tokenizer from what the caller gave: itself, or a folder / repo holding one (its root, tokenizer_3, tokenizer_2). */
async function resolveT5Tokenizer(given: T5Tokenizer | string | FileSource | undefined, hub: HubSourceOptions): Promise<T5Tokenizer> {
  if (given === undefined) throw new Error('a T5 encoder file comes without its tokenizer: pass t5Tokenizer (a T5Tokenizer, or the folder / repo holding T5\'s tokenizer.json or spiece.model, e.g. an SD3 repo)');
  if (given instanceof T5Tokenizer) return given;
  const source = await resolveSource(given, hub);
  for (const subfolder of ['', 'tokenizer_3', 'tokenizer_2']) {
    const at = (file: string): string => (subfolder === '' ? file : `${subfolder}/${file}`);
    if ((await source.readText(at('tokenizer.json'))) !== null || (await source.readBytes(at('spiece.model'))) !== null) {
      return T5Tokenizer.fromPretrained(source, subfolder === '' ? {} : { subfolder });
    }
  }
  throw new Error(`${source.name}: no T5 tokenizer (tokenizer.json or spiece.model) at its root, in tokenizer_3 or in tokenizer_2`);
}

/**
 * SD3 / Flux from separate text encoder files, as ComfyUI keeps them (Node, local paths): each
 * CLIP file gets a config from its shapes (core's planLoneClipFile) in a temporary folder linking
 * the file, T5's file is loaded as it is (its config off its shapes). CLIP tokenizers are the
 * bundled ones (CLIP-L: 'sd1'; CLIP-G: 'sd2', "!" padding, as SD3's tokenizer_2), T5's is given.
 */
export async function loadFilesT5Stack(files: TextEncoderFiles, options: FilesPipelineOptions<EngineChoice>): Promise<PipelineParts> {
  const kind: T5StackKind = files.clipG !== undefined ? 'sd3' : 'flux';
  refuseExtras(options, kind === 'sd3' ? 'Stable Diffusion 3' : 'Flux');
  const withT5 = files.t5 !== undefined && options.textEncoder3 !== null;
  if (kind === 'flux' && !withT5) throw new Error('Flux needs a T5 file (files.t5) beside clip_l; SD3 needs clip_g');
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const os = await import('node:os');
  for (const file of [files.clipL, files.clipG, files.t5]) {
    if (file !== undefined && !(await fs.stat(file).then((s) => s.isFile(), () => false))) throw new Error(`${file}: no such file`);
  }
  const t5Tokenizer = withT5 ? await resolveT5Tokenizer(options.t5Tokenizer, { ...(options.fetch ? { fetch: options.fetch } : {}) }) : null;
  const temp = await fs.mkdtemp(path.join(options.engineOptions?.tempDir ?? os.tmpdir(), 'sdtext-te-files-'));
  const cleanup = [(): Promise<void> => fs.rm(temp, { recursive: true, force: true })];
  try {
    const engine = options.engine ?? 'tfjs';
    const clip = async (file: string, which: 'clip_l' | 'clip_g', overrides: Partial<CLIPTextConfig> | undefined): Promise<LoadedTextEncoder> => {
      const folder = await loneClipFolder(file, which, path.join(temp, which), overrides);
      const clipOptions: LoadTextEncoderOptions = {
        ...options.engineOptions,
        engine,
        withProjection: folder.withProjection,
        ignoreKeys: folder.ignoreKeys,
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      };
      return loadTextEncoder(folder.dir, clipOptions);
    };
    const loaded = new Loaded();
    const encoder = await loaded.add(() => clip(files.clipL, 'clip_l', options.clipLConfig));
    const encoder2 = files.clipG !== undefined ? await loaded.add(() => clip(files.clipG!, 'clip_g', options.clipGConfig)) : null;
    const t5Encoder = withT5
      ? await loaded.add(() =>
          loadT5Encoder(path.dirname(path.resolve(files.t5!)), { ...t5Options(options), file: path.basename(files.t5!), ...(options.t5Config ? { config: options.t5Config } : {}) }),
        )
      : null;
    return {
      source: new LocalFolderSource(path.dirname(path.resolve(files.clipL))),
      kind,
      modelIndex: null,
      tokenizer: options.tokenizer ?? CLIPTokenizer.fromPreset('sd1'),
      encoder,
      tokenizer2: encoder2 ? (options.tokenizer2 ?? CLIPTokenizer.fromPreset('sd2')) : null,
      encoder2,
      useAttentionMask: false,
      forceZerosForEmptyPrompt: false,
      backend: options.backend,
      named: [],
      t5: {
        tokenizer: t5Tokenizer,
        encoder: t5Encoder,
        jointAttentionDim: options.jointAttentionDim ?? t5Encoder?.config.d_model ?? 4096,
        // diffusers' single-file loader gives SD3's CLIP-L an identity projection: text_embeds = pooler_output.
        clipLPooled: 'pooler_output',
      },
      cleanup,
    };
  } catch (error) {
    await cleanup[0]!();
    throw error;
  }
}

/**
 * An SD3-style single file (text_encoders.clip_l / clip_g / t5xxl.transformer.*; Node, a local
 * path): each text encoder is copied out to a temporary file of its own (bytes as stored; kept
 * until the pipeline is disposed), then loaded as fromFiles loads ComfyUI's separate files. A file
 * with clip_l and t5xxl only is Flux.
 */
export async function loadSd3SingleFile(file: string, options: FilesPipelineOptions<EngineChoice>): Promise<PipelineParts> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const os = await import('node:os');
  const temp = await fs.mkdtemp(path.join(options.engineOptions?.tempDir ?? os.tmpdir(), 'sdtext-sd3-file-'));
  try {
    const out = await extractSd3TextEncoders(file, temp, options.onProgress ? { onProgress: options.onProgress } : {});
    if (out.clip_l === undefined) throw new Error(`${file}: holds no text_encoders.clip_l.transformer.* (CLIP-L), which SD3 and Flux both need`);
    const parts = await loadFilesT5Stack(
      { clipL: out.clip_l, ...(out.clip_g !== undefined ? { clipG: out.clip_g } : {}), ...(out.t5xxl !== undefined ? { t5: out.t5xxl } : {}) },
      options,
    );
    return { ...parts, source: new LocalFolderSource(path.dirname(path.resolve(file))), cleanup: [...(parts.cleanup ?? []), () => fs.rm(temp, { recursive: true, force: true })] };
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
}
