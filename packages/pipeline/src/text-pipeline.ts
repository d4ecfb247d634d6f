import type * as tf from '@tensorflow/tfjs-core';
import { CLIPTextModel, CLIPTextModelWithProjection, type BackendName } from '@sdtext/text-encoder';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { encodePromptSd, encodePromptSdxl, type EncodePromptOptions, type TextStage } from './encode-prompt.js';
import { embeddingsToArrays, type ArrayTensor, type PromptEmbeddings } from './embeddings.js';
import type { FileSource } from './file-source.js';
import type { HubSourceOptions } from './hub/file-source.js';
import { hasComponent, parseModelIndex, type ModelIndex } from './model-index.js';
import { resolveSource } from './resolve-source.js';

export interface TextPipelineOptions extends HubSourceOptions {
  /** Weights variant of the text encoders, e.g. "fp16" for `model.fp16.safetensors`. */
  variant?: string;
  /** tfjs backend(s) to try (see @sdtext/text-encoder's selectBackend). */
  backend?: BackendName | readonly BackendName[];
}

/** 'sd': SD 1.x/2.x (one encoder); 'sdxl': two encoders; 'clip': a plain CLIP repo, encoded as 'sd'. */
export type PipelineKind = 'sd' | 'sdxl' | 'clip';

export interface EncodeArraysOptions extends EncodePromptOptions {
  /** Return Float32Arrays with shapes (tensors are read and disposed) instead of tfjs tensors. */
  output: 'array';
}

/**
 * The text half of a Stable Diffusion pipeline: tokenizer(s) and text encoder(s) from a diffusers
 * repo or folder, and diffusers' `encode_prompt`. `tokenizer` / `textEncoder` / `tokenizer2` /
 * `textEncoder2` are diffusers' `pipe.tokenizer`, `pipe.text_encoder`, `pipe.tokenizer_2`,
 * `pipe.text_encoder_2`. The pipeline owns the models: call `dispose()` when done.
 */
export class TextPipeline {
  private constructor(
    readonly source: FileSource,
    readonly kind: PipelineKind,
    readonly modelIndex: ModelIndex | null,
    readonly tokenizer: CLIPTokenizer,
    readonly textEncoder: CLIPTextModel | CLIPTextModelWithProjection,
    readonly tokenizer2: CLIPTokenizer | null,
    readonly textEncoder2: CLIPTextModelWithProjection | null,
    /** `use_attention_mask` of text_encoder/config.json (diffusers passes the mask only when set). */
    readonly useAttentionMask: boolean,
    /** SDXL: encode an absent negative prompt as zeros (model_index.json; diffusers' default true). */
    readonly forceZerosForEmptyPrompt: boolean,
  ) {}

  /**
   * Loads from a hub repo id (`stabilityai/stable-diffusion-2-base`), a local folder, a base URL or a
   * FileSource: diffusers layout (model_index.json, tokenizer/, text_encoder/, and for SDXL
   * tokenizer_2/, text_encoder_2/), or a plain CLIP repo with the tokenizer and text model at its root.
   */
  static async fromPretrained(source: string | FileSource, options: TextPipelineOptions = {}): Promise<TextPipeline> {
    // Progress goes to the model loaders (which pass it to every readBytes), not to the source too.
    const files = await resolveSource(source, { ...options, onProgress: undefined });
    const indexText = await files.readText('model_index.json');
    const index = indexText === null ? null : parseModelIndex(indexText, `${files.name}/model_index.json`);

    const modelOptions = {
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    };
    if (index === null) {
      // A plain CLIP repo (e.g. openai/clip-vit-large-patch14): everything at the root.
      const [tokenizer, textEncoder] = await Promise.all([
        CLIPTokenizer.fromPretrained(files),
        CLIPTextModel.fromPretrained(files, modelOptions),
      ]);
      const useMask = await readUseAttentionMask(files, 'config.json');
      return new TextPipeline(files, 'clip', null, tokenizer, textEncoder, null, null, useMask, false);
    }

    if (!hasComponent(index, 'text_encoder') || !hasComponent(index, 'tokenizer')) {
      throw new Error(`${files.name}/model_index.json lists no tokenizer/text_encoder (SDXL refiners, which only have text_encoder_2, are not supported)`);
    }
    const withProjection = (name: string): boolean => index.components[name]?.[1] === 'CLIPTextModelWithProjection';
    const loadEncoder = (name: string): Promise<CLIPTextModel | CLIPTextModelWithProjection> =>
      withProjection(name)
        ? CLIPTextModelWithProjection.fromPretrained(files, { ...modelOptions, subfolder: name })
        : CLIPTextModel.fromPretrained(files, { ...modelOptions, subfolder: name });

    const isXl = hasComponent(index, 'text_encoder_2');
    // Encoders load one after the other: each may select the tfjs backend.
    const tokenizer = await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer' });
    const textEncoder = await loadEncoder('text_encoder');
    let tokenizer2: CLIPTokenizer | null = null;
    let textEncoder2: CLIPTextModelWithProjection | null = null;
    if (isXl) {
      try {
        tokenizer2 = hasComponent(index, 'tokenizer_2') ? await CLIPTokenizer.fromPretrained(files, { subfolder: 'tokenizer_2' }) : tokenizer;
        textEncoder2 = await CLIPTextModelWithProjection.fromPretrained(files, { ...modelOptions, subfolder: 'text_encoder_2' });
      } catch (error) {
        textEncoder.dispose();
        throw error;
      }
    }
    const useMask = await readUseAttentionMask(files, 'text_encoder/config.json');
    return new TextPipeline(
      files,
      isXl ? 'sdxl' : 'sd',
      index,
      tokenizer,
      textEncoder,
      tokenizer2,
      textEncoder2,
      useMask,
      index.forceZerosForEmptyPrompt ?? isXl,
    );
  }

  /**
   * diffusers' `encode_prompt` (SD 1.x/2.x, or SDXL when the repo has two encoders). The returned
   * tensors belong to the caller (dispose them, or use `disposeEmbeddings`); with `output: 'array'`
   * they come back as Float32Arrays and nothing needs disposing.
   */
  encodePrompt(options: EncodeArraysOptions): Promise<PromptEmbeddings<ArrayTensor>>;
  encodePrompt(options: EncodePromptOptions & { output?: 'tensor' }): Promise<PromptEmbeddings<tf.Tensor>>;
  async encodePrompt(
    options: EncodePromptOptions & { output?: 'tensor' | 'array' },
  ): Promise<PromptEmbeddings<tf.Tensor> | PromptEmbeddings<ArrayTensor>> {
    const stage: TextStage = { tokenizer: this.tokenizer, textEncoder: this.textEncoder, useAttentionMask: this.useAttentionMask };
    const result =
      this.kind === 'sdxl'
        ? encodePromptSdxl(
            [stage, { tokenizer: this.tokenizer2!, textEncoder: this.textEncoder2!, useAttentionMask: false }],
            this.forceZerosForEmptyPrompt,
            options,
          )
        : encodePromptSd(stage, options);
    return options.output === 'array' ? embeddingsToArrays(result) : result;
  }

  /** Frees the text encoders' weights. */
  dispose(): void {
    this.textEncoder.dispose();
    this.textEncoder2?.dispose();
  }
}

async function readUseAttentionMask(files: FileSource, path: string): Promise<boolean> {
  const text = await files.readText(path);
  if (text === null) return false;
  const config = JSON.parse(text) as { use_attention_mask?: unknown };
  return config.use_attention_mask === true;
}
