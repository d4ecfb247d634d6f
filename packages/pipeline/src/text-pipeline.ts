import type * as tf from '@tensorflow/tfjs-core';
import { inspectSingleFile, loadSafetensorsHeader, sd3TextEncodersIn, type CLIPTextConfig, type EngineName, type TextEncoderName, type TextModelCheckpointOptions } from '@sdtext/core';
import type { OnnxCLIPTextModel } from '@sdtext/onnx';
import {
  TfjsTextEncoder,
  hasRegisteredBackend,
  selectBackend,
  type BackendName,
  type CLIPTextModel,
  type CLIPTextModelWithProjection,
} from '@sdtext/text-encoder';
import { EncoderCache, engineEncoder } from '@sdtext/prompt';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { loadTextEncoder, type EngineChoice, type LoadTextEncoderOptions, type LoadedTextEncoder } from './load-text-encoder.js';
import { encodePromptScheduleSd, encodePromptScheduleSdxl, encodePromptSd, encodePromptSdxl, type EncodePromptOptions, type TextStage } from './encode-prompt.js';
import { embeddingsToTensors, type ArrayTensor, type PromptEmbeddings } from './embeddings.js';
import { encoderFolder } from './encoder-folder.js';
import type { FileSource } from './file-source.js';
import type { HubSourceOptions } from './hub/file-source.js';
import { hasComponent, parseModelIndex, type ModelIndex } from './model-index.js';
import { resolveSource } from './resolve-source.js';
import {
  addReadTextualInversions,
  addedTokensOf,
  maybeConvertPrompt,
  readLoras,
  readTextualInversionInputs,
  type LoraInput,
  type TextualInversionInput,
} from './checkpoint-extras.js';
import type { EmbeddingFile } from './embedding-folder.js';
import { PipelineEmbeddings } from './named-embeddings.js';
import { scheduleToTensors, type PromptSchedule } from './schedule-embeddings.js';
import { LocalFolderSource } from './local-folder-source.js';
import { UrlSource } from './url-source.js';
import { t5StackOf } from './model-stack.js';
// Types only: the T5 code itself is imported (import()) when an SD3 or Flux model is loaded.
import type { FilesPipelineOptions, T5StackOptions, TextEncoderFiles } from './t5/load-stack.js';
import type { LoadedT5Encoder } from './t5/load-t5-encoder.js';

/** Options of loadTextEncoder that the pipeline passes through to each encoder. */
export type EngineOptions = Omit<LoadTextEncoderOptions, 'engine' | 'backend' | 'subfolder' | 'variant' | 'onProgress' | 'fetch' | 'withProjection'>;

export interface TextPipelineOptions<E extends EngineChoice = EngineChoice> extends HubSourceOptions, T5StackOptions {
  /** Weights variant of the text encoders, e.g. "fp16" for `model.fp16.safetensors`. */
  variant?: string;
  /**
   * 'tfjs' (default: `textEncoder` is the tfjs CLIPTextModel), 'onnx' (ONNX Runtime: 3-4x faster
   * in Node) or 'auto' (onnx, and tfjs where ONNX Runtime cannot run). encodePrompt gives the same
   * embeddings (within 1e-4) on each.
   */
  engine?: E;
  /** tfjs backend(s) to try (see @sdtext/text-encoder's selectBackend): the tfjs engine's, and where tensor outputs live. */
  backend?: BackendName | readonly BackendName[];
  /** Passed to each encoder's loadTextEncoder: ONNX Runtime threads, compiledCacheDir, weightTransfer, the embedding cache... */
  engineOptions?: EngineOptions;
  /**
   * A tokenizer to use instead of the repo's (diffusers' component override), e.g.
   * `CLIPTokenizer.fromPreset('sd2')` for a bare text model folder, which has none.
   */
  tokenizer?: CLIPTokenizer;
  /**
   * Textual inversion files, as diffusers' `load_textual_inversion` (.safetensors, or .pt/.bin read
   * without unpickling; diffusers, A1111 and SDXL formats): each token is added to the tokenizer(s)
   * and its vectors to the token embedding; prompts are rewritten as `maybe_convert_prompt` does.
   * Each file (and every file of a folder given, `{ folder }`) is also found by name in the
   * dialects: `easynegative` (a1111: the file's stem), `embedding:easynegative` (comfy).
   */
  textualInversion?: readonly TextualInversionInput[];
  /** Text encoder LoRAs (kohya or diffusers/peft keys) merged into the weights at load, each with its scale. */
  lora?: readonly LoraInput[];
}

export interface SingleFilePipelineOptions<E extends EngineChoice = EngineChoice> extends Omit<TextPipelineOptions<E>, keyof HubSourceOptions> {
  /** The tokenizer of `text_encoder_2` (SDXL); default the bundled 'sd2' preset (pad "!"). */
  tokenizer2?: CLIPTokenizer;
  /** Config fields of the text encoder the file cannot tell (num_attention_heads: hidden_size / 64 unless given). */
  textEncoderConfig?: Partial<CLIPTextConfig>;
  /** The same for SDXL's text_encoder_2. */
  textEncoder2Config?: Partial<CLIPTextConfig>;
  /** Called as bytes arrive. */
  onProgress?: HubSourceOptions['onProgress'];
  fetch?: typeof fetch;
}

/** `pipe.textEncoder` on each engine choice: the tfjs model itself, or the ONNX Runtime one. */
export interface TextEncoderModels {
  tfjs: CLIPTextModel | CLIPTextModelWithProjection;
  onnx: OnnxCLIPTextModel;
  auto: CLIPTextModel | CLIPTextModelWithProjection | OnnxCLIPTextModel;
}
/** `pipe.textEncoder2` (SDXL) on each engine choice. */
export interface TextEncoder2Models {
  tfjs: CLIPTextModelWithProjection;
  onnx: OnnxCLIPTextModel;
  auto: CLIPTextModelWithProjection | OnnxCLIPTextModel;
}

/**
 * 'sd': SD 1.x/2.x (one encoder); 'sdxl': two encoders; 'clip': a plain CLIP repo, encoded as 'sd';
 * 'sd3': CLIP-L, CLIP-G and T5 (Stable Diffusion 3 / 3.5); 'flux': CLIP-L and T5 (Flux.1).
 */
export type PipelineKind = 'sd' | 'sdxl' | 'clip' | 'sd3' | 'flux';

export interface EncodeArraysOptions extends EncodePromptOptions {
  /** Return Float32Arrays with shapes instead of tfjs tensors. */
  output: 'array';
}

/** `loadTextualInversion` options. */
export interface LoadTextualInversionOptions {
  /** Where a folder's unreadable files are reported (they are skipped). Default console.warn. */
  onWarning?: (message: string) => void;
}

/** SD3 / Flux: the T5 side, loaded by @sdtext/pipeline/t5. */
export interface T5Parts {
  tokenizer: T5Tokenizer | null;
  encoder: LoadedT5Encoder | null;
  /** SD3's transformer joint_attention_dim (4096): T5's zeros without a T5. */
  jointAttentionDim: number;
  /** SD3's CLIP-L pooled output: text_embeds (diffusers folders) or pooler_output (files: diffusers' identity projection). */
  clipLPooled: 'text_embeds' | 'pooler_output';
}

/** What a TextPipeline is made of (the loaders' result). */
export interface PipelineParts {
  source: FileSource;
  kind: PipelineKind;
  modelIndex: ModelIndex | null;
  tokenizer: CLIPTokenizer;
  encoder: LoadedTextEncoder;
  tokenizer2: CLIPTokenizer | null;
  encoder2: LoadedTextEncoder | null;
  useAttentionMask: boolean;
  forceZerosForEmptyPrompt: boolean;
  backend: BackendName | readonly BackendName[] | undefined;
  /** Textual inversion files read at load, for the dialects' names. */
  named: readonly EmbeddingFile[];
  /** SD3 / Flux only. */
  t5?: T5Parts | null;
  /** Run by dispose(): temporary folders a loader made (SD3 single files, lone CLIP files). */
  cleanup?: readonly (() => Promise<void>)[];
}
type Parts = PipelineParts;

/** The weight changes of one encoder (LoRA merges, textual inversion rows), as loadTextEncoder takes them. */
type EncoderExtras = Pick<TextModelCheckpointOptions, 'lora' | 'extraEmbeddings'>;

/** Reads the LoRA and textual inversion files and adds the tokens to the tokenizers: each encoder's weight changes, and the files by name. */
async function prepareExtras(
  options: { textualInversion?: readonly TextualInversionInput[]; lora?: readonly LoraInput[] },
  tokenizers: ReadonlyMap<TextEncoderName, CLIPTokenizer>,
): Promise<{ extras: (name: TextEncoderName) => EncoderExtras; named: EmbeddingFile[] }> {
  const loras = await readLoras(options.lora ?? []);
  for (const name of loras.keys()) {
    if (!tokenizers.has(name)) throw new Error(`${loras.get(name)![0]!.file} has a LoRA for ${name}, which this pipeline does not have`);
  }
  const { tokens, named } = await readTextualInversionInputs(options.textualInversion ?? [], (m) => console.warn(m));
  const rows = addReadTextualInversions(tokens, tokenizers);
  const extras = (name: TextEncoderName): EncoderExtras => {
    const extras: EncoderExtras = {};
    const lora = loras.get(name);
    if (lora) extras.lora = lora;
    const extra = rows.get(name);
    if (extra) extras.extraEmbeddings = extra;
    return extras;
  };
  return { extras, named };
}

/** The encoder's ids must be the tokenizer's (after added tokens): else an added token would pick the wrong row. */
async function checkVocab(encoder: LoadedTextEncoder, tokenizer: CLIPTokenizer, added: boolean): Promise<void> {
  if (!added || encoder.config.vocab_size === tokenizer.length) return;
  await encoder.dispose();
  throw new Error(
    `the text encoder has ${encoder.config.vocab_size} token embeddings but its tokenizer ${tokenizer.length} tokens: textual inversion needs them equal`,
  );
}

/** The model an engine runs: the tfjs CLIPTextModel behind the adapter, or the ONNX model itself. */
function modelOf(encoder: LoadedTextEncoder): CLIPTextModel | CLIPTextModelWithProjection | OnnxCLIPTextModel {
  return encoder instanceof TfjsTextEncoder ? encoder.model : (encoder as OnnxCLIPTextModel);
}

/**
 * The text half of a Stable Diffusion pipeline: tokenizer(s) and text encoder(s) from a diffusers
 * repo or folder, and diffusers' `encode_prompt`. `tokenizer` / `textEncoder` / `tokenizer2` /
 * `textEncoder2` are diffusers' `pipe.tokenizer`, `pipe.text_encoder`, `pipe.tokenizer_2`,
 * `pipe.text_encoder_2`; `encoder` / `encoder2` are the same models behind the engine-neutral
 * TextEncoderEngine interface. The pipeline owns the models: call `dispose()` when done.
 */
export class TextPipeline<E extends EngineChoice = 'tfjs'> {
  readonly source: FileSource;
  readonly kind: PipelineKind;
  readonly modelIndex: ModelIndex | null;
  readonly tokenizer: CLIPTokenizer;
  readonly textEncoder: TextEncoderModels[E];
  readonly tokenizer2: CLIPTokenizer | null;
  readonly textEncoder2: TextEncoder2Models[E] | null;
  /** The first encoder as a TextEncoderEngine (`engine`, `backend`, `fallbackReason`, `encode`). */
  readonly encoder: LoadedTextEncoder;
  readonly encoder2: LoadedTextEncoder | null;
  /** `use_attention_mask` of text_encoder/config.json (diffusers passes the mask only when set). */
  readonly useAttentionMask: boolean;
  /** SDXL: encode an absent negative prompt as zeros (model_index.json; diffusers' default true). */
  readonly forceZerosForEmptyPrompt: boolean;
  /** SD3: T5's tokenizer (diffusers' `pipe.tokenizer_3`); Flux: `pipe.tokenizer_2`. Null for the CLIP stacks, and SD3 loaded without T5. */
  readonly t5Tokenizer: T5Tokenizer | null;
  /** SD3's `pipe.text_encoder_3`, Flux's `pipe.text_encoder_2`: T5EncoderModel (tfjs) or OnnxT5EncoderModel, behind @sdtext/core/t5's T5EncoderEngine. */
  readonly t5Encoder: LoadedT5Encoder | null;
  /** SD3: the transformer's joint_attention_dim (the width of the prompt embeddings). Null for the others. */
  readonly jointAttentionDim: number | null;
  private readonly clipLPooled: 'text_embeds' | 'pooler_output';
  private readonly cleanup: readonly (() => Promise<void>)[];
  private readonly backend: BackendName | readonly BackendName[] | undefined;
  /** Encoder outputs of `dialect` prompts by chunk ids: re-encoding after a weight-only edit runs no encoder. */
  private promptCache: EncoderCache | null = null;
  private promptCache2: EncoderCache | null = null;
  /** Textual inversion files known by name (the dialects'). */
  private readonly embeddings: PipelineEmbeddings;
  /** Per encoder, rows of tokens added after loading (ids past its table). */
  private readonly extraTokens = new Map<TextEncoderName, Map<number, Float32Array>>();

  private constructor(parts: Parts) {
    this.source = parts.source;
    this.kind = parts.kind;
    this.modelIndex = parts.modelIndex;
    this.tokenizer = parts.tokenizer;
    this.tokenizer2 = parts.tokenizer2;
    this.encoder = parts.encoder;
    this.encoder2 = parts.encoder2;
    this.textEncoder = modelOf(parts.encoder) as TextEncoderModels[E];
    this.textEncoder2 = parts.encoder2 && (modelOf(parts.encoder2) as TextEncoder2Models[E]);
    this.useAttentionMask = parts.useAttentionMask;
    this.forceZerosForEmptyPrompt = parts.forceZerosForEmptyPrompt;
    this.backend = parts.backend;
    this.t5Tokenizer = parts.t5?.tokenizer ?? null;
    this.t5Encoder = parts.t5?.encoder ?? null;
    this.jointAttentionDim = parts.kind === 'sd3' ? (parts.t5?.jointAttentionDim ?? null) : null;
    this.clipLPooled = parts.t5?.clipLPooled ?? 'text_embeds';
    this.cleanup = parts.cleanup ?? [];
    this.embeddings = new PipelineEmbeddings([
      { name: 'text_encoder', tokenizer: parts.tokenizer, hiddenSize: parts.encoder.config.hidden_size },
      ...(parts.encoder2 ? [{ name: 'text_encoder_2' as const, tokenizer: parts.tokenizer2!, hiddenSize: parts.encoder2.config.hidden_size }] : []),
    ]);
    this.embeddings.add(parts.named);
  }

  /** The engine that runs the encoders ('auto' resolved; the reason for a fallback is in `encoder.fallbackReason`). */
  get engine(): EngineName {
    return this.encoder.engine;
  }

  /**
   * Loads from a hub repo id (`stabilityai/stable-diffusion-2-base`), a local folder, a base URL or a
   * FileSource: diffusers layout (model_index.json, tokenizer/, text_encoder/, and for SDXL
   * tokenizer_2/, text_encoder_2/), or a plain CLIP repo with the tokenizer and text model at its root.
   */
  static async fromPretrained<E extends EngineChoice = 'tfjs'>(
    source: string | FileSource,
    options: TextPipelineOptions<E> = {},
  ): Promise<TextPipeline<E>> {
    // Progress goes to the model loaders (which pass it to every readBytes), not to the source too.
    const files = await resolveSource(source, { ...options, onProgress: undefined });
    const indexText = await files.readText('model_index.json');
    const index = indexText === null ? null : parseModelIndex(indexText, `${files.name}/model_index.json`);
    const engine: EngineChoice = options.engine ?? 'tfjs';

    const loadEncoder = async (subfolder: string, withProjection: boolean | undefined, extras: EncoderExtras = {}): Promise<LoadedTextEncoder> => {
      // ONNX Runtime maps a local folder's weights in place; tfjs reads through the FileSource as before.
      const folder = engine === 'tfjs' ? null : await encoderFolder(files, subfolder, options.variant, options.onProgress);
      return loadTextEncoder(folder ?? files, {
        ...options.engineOptions,
        engine,
        ...(folder === null && subfolder !== '' ? { subfolder } : {}),
        ...(options.variant !== undefined ? { variant: options.variant } : {}),
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
        ...(withProjection !== undefined ? { withProjection } : {}),
        ...extras,
      });
    };
    const common = { source: files, modelIndex: index, backend: options.backend };
    const hasTi = (options.textualInversion?.length ?? 0) > 0;

    if (index === null) {
      // A plain CLIP repo (e.g. openai/clip-vit-large-patch14): everything at the root.
      const tokenizer = options.tokenizer ?? (await rootTokenizer(files));
      const { extras, named } = await prepareExtras(options, new Map([['text_encoder', tokenizer]]));
      const encoder = await loadEncoder('', undefined, extras('text_encoder')); // withProjection from config.json's architectures
      await checkVocab(encoder, tokenizer, hasTi);
      const useAttentionMask = await readUseAttentionMask(files, 'config.json');
      return new TextPipeline<E>({ ...common, kind: 'clip', tokenizer, encoder, tokenizer2: null, encoder2: null, useAttentionMask, forceZerosForEmptyPrompt: false, named });
    }

    const stack = t5StackOf(index, `${files.name}/model_index.json`);
    if (stack !== null) {
      const { loadDiffusersT5Stack } = await import('./t5/load-stack.js');
      return new TextPipeline<E>(await loadDiffusersT5Stack(files, index, stack, options, (subfolder, withProjection) => loadEncoder(subfolder, withProjection)));
    }
    if (!hasComponent(index, 'text_encoder') || !hasComponent(index, 'tokenizer')) {
      throw new Error(`${files.name}/model_index.json lists no tokenizer/text_encoder (SDXL refiners, which only have text_encoder_2, are not supported)`);
    }
    const withProjection = (name: string): boolean => index.components[name]?.[1] === 'CLIPTextModelWithProjection';
    const isXl = hasComponent(index, 'text_encoder_2');
    // Encoders load one after the other: each may select the tfjs backend.
    const tokenizer = options.tokenizer ?? (await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer' }));
    let tokenizer2: CLIPTokenizer | null = null;
    if (isXl) tokenizer2 = hasComponent(index, 'tokenizer_2') ? await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer_2' }) : tokenizer;
    const { extras, named } = await prepareExtras(options, new Map([['text_encoder', tokenizer], ...(tokenizer2 ? ([['text_encoder_2', tokenizer2]] as const) : [])]));
    const encoder = await loadEncoder('text_encoder', withProjection('text_encoder'), extras('text_encoder'));
    await checkVocab(encoder, tokenizer, hasTi);
    let encoder2: LoadedTextEncoder | null = null;
    if (isXl) {
      try {
        encoder2 = await loadEncoder('text_encoder_2', true, extras('text_encoder_2'));
        await checkVocab(encoder2, tokenizer2!, hasTi);
      } catch (error) {
        await encoder.dispose();
        throw error;
      }
    }
    const useAttentionMask = await readUseAttentionMask(files, 'text_encoder/config.json');
    return new TextPipeline<E>({
      ...common,
      kind: isXl ? 'sdxl' : 'sd',
      tokenizer,
      encoder,
      tokenizer2,
      encoder2,
      useAttentionMask,
      forceZerosForEmptyPrompt: index.forceZerosForEmptyPrompt ?? isXl,
      named,
    });
  }

  /**
   * diffusers' `encode_prompt` (SD 1.x/2.x, or SDXL when the repo has two encoders). The returned
   * tensors belong to the caller (dispose them, or use `disposeEmbeddings`); with `output: 'array'`
   * they come back as Float32Arrays and nothing needs disposing. With `steps`, the conditioning at
   * each sampling step (a `PromptSchedule`: webui's prompt editing and AND; dispose it with `disposeSchedule`).
   */
  encodePrompt(options: EncodeArraysOptions & { steps: number }): Promise<PromptSchedule<ArrayTensor>>;
  encodePrompt(options: EncodePromptOptions & { steps: number; output?: 'tensor' }): Promise<PromptSchedule<tf.Tensor>>;
  encodePrompt(options: EncodeArraysOptions): Promise<PromptEmbeddings<ArrayTensor>>;
  encodePrompt(options: EncodePromptOptions & { output?: 'tensor' }): Promise<PromptEmbeddings<tf.Tensor>>;
  async encodePrompt(
    options: EncodePromptOptions & { output?: 'tensor' | 'array' },
  ): Promise<PromptEmbeddings<tf.Tensor> | PromptEmbeddings<ArrayTensor> | PromptSchedule<tf.Tensor> | PromptSchedule<ArrayTensor>> {
    if (this.kind === 'sd3' || this.kind === 'flux') return this.encodeT5Prompt(options);
    for (const name of ['prompt3', 'negativePrompt3', 'maxSequenceLength'] as const) {
      if (options[name] !== undefined) throw new Error(`${name} is for SD3 / Flux (their T5 prompt); this is a ${this.kind === 'sdxl' ? 'SDXL' : 'CLIP'} pipeline`);
    }
    options = this.convertPrompts(options);
    const stage = this.stage('text_encoder');
    const stages = (): [TextStage, TextStage] => [stage, this.stage('text_encoder_2')];
    if (options.steps !== undefined) {
      const schedule = this.kind === 'sdxl' ? await encodePromptScheduleSdxl(stages(), this.forceZerosForEmptyPrompt, options) : await encodePromptScheduleSd(stage, options);
      if (options.output === 'array') return schedule;
      if (!hasRegisteredBackend()) await selectBackend(this.backend ?? 'cpu');
      return scheduleToTensors(schedule);
    }
    const result = this.kind === 'sdxl' ? await encodePromptSdxl(stages(), this.forceZerosForEmptyPrompt, options) : await encodePromptSd(stage, options);
    if (options.output === 'array') return result;
    // The ONNX engine registers no tfjs backend: start one for the tensors (cpu unless `backend` says).
    if (!hasRegisteredBackend()) await selectBackend(this.backend ?? 'cpu');
    const tensors = embeddingsToTensors(result);
    return result.encoderOutputs ? { ...tensors, encoderOutputs: result.encoderOutputs } : tensors;
  }

  /** SD3 / Flux (their code imported on first use). */
  private async encodeT5Prompt(options: EncodePromptOptions & { output?: 'tensor' | 'array' }): Promise<PromptEmbeddings<tf.Tensor> | PromptEmbeddings<ArrayTensor>> {
    const { encodeT5Pipeline } = await import('./t5/encode.js');
    const result = await encodeT5Pipeline(
      {
        kind: this.kind as 'sd3' | 'flux',
        clipL: this.stage('text_encoder'),
        clipG: this.encoder2 ? this.stage('text_encoder_2') : null,
        t5: this.t5Tokenizer && this.t5Encoder ? { tokenizer: this.t5Tokenizer, textEncoder: this.t5Encoder } : null,
        jointAttentionDim: this.jointAttentionDim ?? this.t5Encoder?.config.d_model ?? 4096,
        clipLPooled: this.clipLPooled,
      },
      options,
    );
    if (options.output === 'array') return result;
    if (!hasRegisteredBackend()) await selectBackend(this.backend ?? 'cpu');
    return embeddingsToTensors(result);
  }

  /**
   * diffusers' `load_textual_inversion` after loading: the files' tokens are added to the
   * tokenizer(s) (diffusers' rule; their rows go to the encoder as inputs_embeds, the weights stay
   * as loaded), and every file (folders' too) becomes findable by name in the dialects. Cached
   * encoder outputs are dropped.
   */
  async loadTextualInversion(inputs: TextualInversionInput | readonly TextualInversionInput[], options: LoadTextualInversionOptions = {}): Promise<void> {
    if (this.kind === 'sd3' || this.kind === 'flux') throw new Error(`textual inversion is not supported on ${this.kind === 'sd3' ? 'SD3' : 'Flux'} pipelines yet`);
    const list = (Array.isArray(inputs) ? inputs : [inputs]) as readonly TextualInversionInput[];
    const { tokens, named } = await readTextualInversionInputs(list, options.onWarning ?? ((m) => console.warn(m)));
    const slots = this.slots();
    for (const { ti } of tokens) {
      for (const [encoder, vectors] of ti.vectors) {
        const slot = slots.find((s) => s.name === encoder);
        if (slot && vectors.dim !== slot.engine.config.hidden_size) {
          throw new Error(`${ti.file}: embeddings ${vectors.dim} wide, but ${encoder} is ${slot.engine.config.hidden_size} wide`);
        }
      }
    }
    const firstIds = new Map(slots.map((s) => [s.name, s.tokenizer.length]));
    const rows = addReadTextualInversions(tokens, new Map(slots.map((s) => [s.name, s.tokenizer])));
    for (const [encoder, vectors] of rows) {
      const extra = this.extraTokens.get(encoder) ?? new Map<number, Float32Array>();
      this.extraTokens.set(encoder, extra);
      const first = firstIds.get(encoder)!;
      for (let i = 0; i < vectors.count; i++) extra.set(first + i, vectors.data.slice(i * vectors.dim, (i + 1) * vectors.dim));
    }
    this.embeddings.add(named);
    this.addedTokens = null;
    this.promptCache?.clear();
    this.promptCache2?.clear();
    this.promptCache = null;
    this.promptCache2 = null;
  }

  private slots(): { name: TextEncoderName; tokenizer: CLIPTokenizer; engine: LoadedTextEncoder }[] {
    return [
      { name: 'text_encoder', tokenizer: this.tokenizer, engine: this.encoder },
      ...(this.encoder2 ? [{ name: 'text_encoder_2' as const, tokenizer: this.tokenizer2!, engine: this.encoder2 }] : []),
    ];
  }

  /** One encoder as encodePrompt drives it: its cache (made on first use), embeddings by name, added tokens. */
  private stage(name: TextEncoderName): TextStage {
    const first = name === 'text_encoder';
    const engine = first ? this.encoder : this.encoder2!;
    const extraTokens = this.extraTokens.get(name);
    const cache = first
      ? (this.promptCache ??= new EncoderCache(engineEncoder(engine, extraTokens ? { extraTokens } : {})))
      : (this.promptCache2 ??= new EncoderCache(engineEncoder(engine, extraTokens ? { extraTokens } : {})));
    return {
      tokenizer: first ? this.tokenizer : this.tokenizer2!,
      textEncoder: engine,
      useAttentionMask: first ? this.useAttentionMask : false,
      promptCache: cache,
      embeddings: { a1111: this.embeddings.a1111For(name), comfy: this.embeddings.comfyFor(name) },
      ...(extraTokens ? { extraTokens } : {}),
    };
  }

  private addedTokens: [Set<string>, Set<string>] | null = null;

  /** diffusers' maybe_convert_prompt on every prompt, each with its tokenizer (multi-vector textual inversion tokens). */
  private convertPrompts<O extends EncodePromptOptions>(options: O): O {
    this.addedTokens ??= [addedTokensOf(this.tokenizer), this.tokenizer2 ? addedTokensOf(this.tokenizer2) : new Set<string>()];
    const [added1, added2] = this.addedTokens;
    if (added1.size === 0 && added2.size === 0) return options;
    const convert = (p: string | readonly string[] | undefined, tokenizer: CLIPTokenizer, added: Set<string>): string | string[] | undefined =>
      p === undefined ? undefined : typeof p === 'string' ? maybeConvertPrompt(p, tokenizer, added) : p.map((x) => maybeConvertPrompt(x, tokenizer, added));
    const out: O = { ...options };
    if (this.kind === 'sdxl') {
      // diffusers: prompt_2 defaults to prompt before each is converted with its own tokenizer.
      const prompt2 = options.prompt2 ?? options.prompt;
      const negative2 = options.negativePrompt2 ?? options.negativePrompt;
      if (prompt2 !== undefined) out.prompt2 = convert(prompt2, this.tokenizer2!, added2);
      if (negative2 !== undefined) out.negativePrompt2 = convert(negative2, this.tokenizer2!, added2);
    }
    if (options.prompt !== undefined) out.prompt = convert(options.prompt, this.tokenizer, added1);
    if (options.negativePrompt !== undefined) out.negativePrompt = convert(options.negativePrompt, this.tokenizer, added1);
    return out;
  }

  /**
   * A single-file Stable Diffusion checkpoint (A1111 / ComfyUI / civitai `.safetensors`), as
   * diffusers' `from_single_file`. An SD3-style file (text_encoders.clip_l / clip_g / t5xxl.*, a
   * local path) loads as `fromFiles` loads ComfyUI's separate files (pass `t5Tokenizer`); else
   * SD 1.x, 2.x or SDXL found by its keys, its text encoder(s) read
   * by offset from the header (the UNet and VAE bytes are never read), the tokenizer(s) from the
   * bundled presets (SD 1.x and SDXL's first: 'sd1'; SD 2.x and SDXL's second: 'sd2'). A local path
   * (Node) or a URL.
   */
  static async fromSingleFile<E extends EngineChoice = 'tfjs'>(file: string, options: FilesPipelineOptions<E> = {}): Promise<TextPipeline<E>> {
    const slash = file.replace(/\\/g, '/').lastIndexOf('/');
    const dir = slash < 0 ? '.' : file.slice(0, slash) || '/';
    const name = file.slice(slash + 1);
    const isUrl = /^https?:\/\//i.test(file);
    if (!isUrl && (await isSd3StyleFile(file))) {
      const { loadSd3SingleFile } = await import('./t5/load-stack.js');
      return new TextPipeline<E>(await loadSd3SingleFile(file, options));
    }
    // .safetensors or a torch .ckpt, told by the file's bytes (core reads only the text encoders' tensors).
    const { kind, encoders } = await inspectSingleFile(file, { name: file, ...(options.fetch ? { fetch: options.fetch } : {}) });
    const engine: EngineChoice = options.engine ?? 'tfjs';
    const tokenizer = options.tokenizer ?? CLIPTokenizer.fromPreset(kind === 'sd2' ? 'sd2' : 'sd1');
    const tokenizer2 = kind === 'sdxl' ? (options.tokenizer2 ?? CLIPTokenizer.fromPreset('sd2')) : null;
    const { extras, named } = await prepareExtras(options, new Map([['text_encoder', tokenizer], ...(tokenizer2 ? ([['text_encoder_2', tokenizer2]] as const) : [])]));
    const hasTi = (options.textualInversion?.length ?? 0) > 0;
    const load = (encoder: TextEncoderName): Promise<LoadedTextEncoder> =>
      // The folder (or base URL) as a path: core reads the file by ranges, never whole.
      loadTextEncoder(dir, {
        ...options.engineOptions,
        engine,
        singleFile: { file: name, encoder, ...((encoder === 'text_encoder' ? options.textEncoderConfig : options.textEncoder2Config) ? { config: (encoder === 'text_encoder' ? options.textEncoderConfig : options.textEncoder2Config)! } : {}) },
        ...(options.backend !== undefined ? { backend: options.backend } : {}),
        ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
        ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
        ...extras(encoder),
      });
    const encoder = await load('text_encoder');
    await checkVocab(encoder, tokenizer, hasTi);
    let encoder2: LoadedTextEncoder | null = null;
    if (encoders.some((e) => e.name === 'text_encoder_2')) {
      try {
        encoder2 = await load('text_encoder_2');
        await checkVocab(encoder2, tokenizer2!, hasTi);
      } catch (error) {
        await encoder.dispose();
        throw error;
      }
    }
    return new TextPipeline<E>({
      source: isUrl ? new UrlSource(dir) : new LocalFolderSource(dir),
      kind: kind === 'sdxl' ? 'sdxl' : 'sd',
      modelIndex: null,
      tokenizer,
      encoder,
      tokenizer2,
      encoder2,
      useAttentionMask: false,
      forceZerosForEmptyPrompt: kind === 'sdxl',
      backend: options.backend,
      named,
    });
  }

  /**
   * SD3 or Flux from ComfyUI's separate text encoder files (Node, local paths): `clipL`, `clipG`
   * (SD3; without it the stack is Flux) and `t5` (t5xxl_fp16 / fp8 / scaled fp8). Configs are read off
   * the files' shapes (`clipLConfig` / `clipGConfig` / `t5Config` give what shapes cannot tell); the
   * CLIP tokenizers are the bundled ones, T5's is `t5Tokenizer` (the files hold none). CLIP-L's pooled
   * output is its pooler_output, as diffusers' single-file loader (identity projection) and ComfyUI take it.
   */
  static async fromFiles<E extends EngineChoice = 'tfjs'>(files: TextEncoderFiles, options: FilesPipelineOptions<E> = {}): Promise<TextPipeline<E>> {
    const { loadFilesT5Stack } = await import('./t5/load-stack.js');
    return new TextPipeline<E>(await loadFilesT5Stack(files, options));
  }

  /** Frees the text encoders (tfjs weights, ONNX Runtime sessions) and any temporary folder the loader made. */
  async dispose(): Promise<void> {
    this.promptCache?.clear();
    this.promptCache2?.clear();
    await this.encoder.dispose();
    await this.encoder2?.dispose();
    await this.t5Encoder?.dispose();
    for (const clean of this.cleanup) await clean();
  }
}

/** Whether a local file is a safetensors file with SD3-style text encoders (its header only; a .ckpt is not). */
async function isSd3StyleFile(file: string): Promise<boolean> {
  const header = await loadSafetensorsHeader(file).catch(() => null);
  return header !== null && sd3TextEncodersIn(header.tensors.map((t) => t.name)).length > 0;
}

/** A plain CLIP repo's tokenizer; a bare text model folder has none, and says how to give one. */
async function rootTokenizer(files: FileSource): Promise<CLIPTokenizer> {
  if ((await files.readText('vocab.json')) === null) {
    throw new Error(
      `${files.name} has no model_index.json and no tokenizer (vocab.json): a bare text model folder. ` +
        "Pass a tokenizer, e.g. { tokenizer: CLIPTokenizer.fromPreset('sd2') } (sdtext encode: --tokenizer sd2).",
    );
  }
  return CLIPTokenizer.fromPretrained(files);
}

async function readUseAttentionMask(files: FileSource, path: string): Promise<boolean> {
  const text = await files.readText(path);
  if (text === null) return false;
  const config = JSON.parse(text) as { use_attention_mask?: unknown };
  return config.use_attention_mask === true;
}
