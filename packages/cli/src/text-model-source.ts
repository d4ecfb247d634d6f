import { loadTextEncoder, type EngineChoice, type LoadedTextEncoder } from '@sdtext/onnx';
import {
  TextPipeline,
  encodePromptSd,
  hubOptionsFromEnv,
  isRepoId,
  type ArrayTensor,
  type EncodePromptOptions,
  type FileProgress,
  type PromptEmbeddings,
} from '@sdtext/pipeline';
import type { BackendName } from '@sdtext/text-encoder';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { InputError, UsageError, type CliIO } from './command.js';
import { loadTokenizer } from './tokenizer-option.js';

/** What `sdtext encode` needs: the tokenizer, the (first) text encoder on its engine, and diffusers' encode_prompt. */
export interface TextModel {
  readonly description: string;
  readonly tokenizer: CLIPTokenizer;
  /** The engine running it: `engine`, `backend`, and `fallbackReason` when 'auto' fell back to tfjs. */
  readonly textEncoder: LoadedTextEncoder;
  encodePrompt(options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>>;
  dispose(): Promise<void>;
}

export interface TextModelOptions {
  engine: EngineChoice;
  /** The tfjs engine's backend. */
  backend: BackendName;
  tokenizer?: string;
  revision?: string;
  variant?: string;
  onProgress: (p: FileProgress) => void;
}

async function exists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `--model`: a Stable Diffusion or CLIP repo (hub id or local folder, loaded by TextPipeline), or
 * a bare CLIP text model folder (config.json + weights, no tokenizer), tokenized with --tokenizer.
 */
export async function loadTextModel(model: string, io: CliIO, options: TextModelOptions): Promise<TextModel> {
  const { join, resolve } = await import('node:path');
  const folder = resolve(io.cwd, model);
  const local = await exists(folder);
  const bare = local && !(await exists(join(folder, 'model_index.json'))) && !(await exists(join(folder, 'vocab.json')));
  if (bare) return loadBareModel(folder, io, options);
  if (!local && !isRepoId(model)) throw new InputError(`--model ${model}: no such folder, and not a hub repo id (owner/name)`);
  if (options.tokenizer !== undefined) {
    throw new UsageError('--tokenizer only applies to a bare text model folder; Stable Diffusion and CLIP repos bring their own tokenizer');
  }
  try {
    const pipe = await TextPipeline.fromPretrained(local ? folder : model, {
      ...hubOptionsFromEnv(io.env),
      engine: options.engine,
      backend: options.backend,
      onProgress: options.onProgress,
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
    });
    return {
      description: `${pipe.kind} pipeline ${pipe.source.name}`,
      tokenizer: pipe.tokenizer,
      textEncoder: pipe.encoder,
      encodePrompt: (o) => pipe.encodePrompt({ ...o, output: 'array' }),
      dispose: () => pipe.dispose(),
    };
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

async function loadBareModel(folder: string, io: CliIO, options: TextModelOptions): Promise<TextModel> {
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const configPath = join(folder, 'config.json');
  if (!(await exists(configPath))) {
    throw new InputError(`--model ${folder}: no config.json (expected a Stable Diffusion folder, a CLIP repo folder or a CLIP text model folder)`);
  }
  let config: { use_attention_mask?: unknown };
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as typeof config;
  } catch (error) {
    throw new InputError(`${configPath}: not valid JSON (${(error as Error).message})`);
  }
  const tokenizer = await loadTokenizer(options.tokenizer, io.cwd);
  let textEncoder: LoadedTextEncoder;
  try {
    // withProjection comes from config.json's architectures.
    textEncoder = await loadTextEncoder(folder, {
      engine: options.engine,
      backend: options.backend,
      onProgress: options.onProgress,
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const stage = { tokenizer, textEncoder, useAttentionMask: config.use_attention_mask === true };
  return {
    description: `${textEncoder.withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'} ${folder}`,
    tokenizer,
    textEncoder,
    encodePrompt: (o) => encodePromptSd(stage, o),
    dispose: () => textEncoder.dispose(),
  };
}
