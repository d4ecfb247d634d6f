import { SafetensorsError, inspectSingleFile, safetensorsConversionHint } from '@sdtext/core';
import { TextPipeline, hubCacheDir, hubOptionsFromEnv, isRepoId, repoFolderName, type EngineChoice, type FileProgress } from '@sdtext/pipeline';
import { TOKENIZER_PRESETS } from '@sdtext/tokenizer';
import type { BackendName } from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO } from './command.js';
import { loadTokenizer } from './tokenizer-option.js';

export interface TextModelOptions {
  engine: EngineChoice;
  /** The tfjs engine's backend. */
  backend: BackendName;
  tokenizer?: string;
  revision?: string;
  variant?: string;
  onProgress: (p: FileProgress) => void;
  /** --textual-inversion FILE (repeatable), relative to the working folder. */
  textualInversion?: string[];
  /** --lora FILE[:SCALE] (repeatable). */
  lora?: string[];
  /** --text-encoder-config FILE.json: config fields a single-file checkpoint cannot tell. */
  textEncoderConfig?: string;
  /** --dtype q8: the ONNX engine's quantized path (never the default). */
  dtype?: 'fp32' | 'q8';
}

/** `--dtype fp32|q8`, checked. */
export function parseDtype(value: string | undefined): 'fp32' | 'q8' | undefined {
  if (value === undefined || value === 'fp32' || value === 'q8') return value;
  throw new UsageError(`--dtype must be fp32 or q8, got "${value}"`);
}

/**
 * `FILE:SCALE` -> { file, scale }, the scale read first: what follows the last colon is a scale unless
 * it reads as the end of a file name (a path separator, or a weights extension: `my:lora.safetensors`,
 * `C:\loras\x.safetensors`), and a scale must be a finite number (`:nan`, `:1e999`, `:0.7x` are
 * refused as scales, not looked for as files).
 */
export function parseLoraOption(value: string): { file: string; scale: number } {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { file: value, scale: 1 };
  const suffix = value.slice(colon + 1);
  if (/[/\\]/.test(suffix) || /\.(safetensors|pt|bin|ckpt)$/i.test(suffix)) return { file: value, scale: 1 };
  const file = value.slice(0, colon);
  const scale = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(suffix) ? Number(suffix) : NaN;
  if (!Number.isFinite(scale)) {
    throw new UsageError(`--lora ${value}: the scale ${JSON.stringify(suffix)} is not a finite number; write FILE:SCALE, e.g. ${file || 'lora.safetensors'}:0.8`);
  }
  if (file === '') throw new UsageError(`--lora ${value}: no file before the scale`);
  return { file, scale };
}

async function isFile(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** --textual-inversion / --lora / --text-encoder-config as the pipeline takes them. */
async function extrasOf(io: CliIO, options: TextModelOptions) {
  const { resolve } = await import('node:path');
  const textualInversion = (options.textualInversion ?? []).map((f) => resolve(io.cwd, f));
  const lora = (options.lora ?? []).map((v) => {
    const { file, scale } = parseLoraOption(v);
    return { file: resolve(io.cwd, file), scale };
  });
  for (const f of [...textualInversion, ...lora.map((l) => l.file)]) if (!(await isFile(f))) throw new InputError(`${f}: no such file`);
  return { ...(textualInversion.length > 0 ? { textualInversion } : {}), ...(lora.length > 0 ? { lora } : {}) };
}

async function exists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `--model`: what TextPipeline.fromPretrained takes (a hub id, a Stable Diffusion or CLIP folder),
 * or a bare CLIP text model folder (config.json + weights, no tokenizer), tokenized with
 * --tokenizer. The CLI adds only option parsing and messages: loading is the pipeline's.
 */
export async function loadTextPipeline(model: string, io: CliIO, options: TextModelOptions): Promise<TextPipeline<EngineChoice>> {
  const { join, resolve } = await import('node:path');
  const folder = resolve(io.cwd, model);
  const extras = await extrasOf(io, options);
  if (await isFile(folder)) {
    // A single-file checkpoint (A1111 / ComfyUI / civitai .safetensors, or an older .ckpt): its format
    // is told by its first bytes and SD 1.x, 2.x or SDXL by its keys, by the pipeline.
    let textEncoderConfig: Record<string, unknown> | undefined;
    if (options.textEncoderConfig !== undefined) {
      const { readFile } = await import('node:fs/promises');
      const path = resolve(io.cwd, options.textEncoderConfig);
      try {
        textEncoderConfig = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new InputError(`--text-encoder-config ${path}: ${(error as Error).message}`);
      }
    }
    const tokenizer = options.tokenizer !== undefined ? await loadTokenizer(options.tokenizer, io.cwd) : undefined;
    // What the file is, from its bytes (a file that is no checkpoint is named so here).
    const { format } = await inspectSingleFile(folder).catch((error: unknown) => {
      throw new InputError((error as Error).message);
    });
    try {
      return await TextPipeline.fromSingleFile(folder, {
        engine: options.engine,
        backend: options.backend,
        onProgress: options.onProgress,
        ...(options.dtype !== undefined ? { engineOptions: { dtype: options.dtype } } : {}),
        ...(tokenizer !== undefined ? { tokenizer } : {}),
        ...(textEncoderConfig !== undefined ? { textEncoderConfig } : {}),
        ...extras,
      });
    } catch (error) {
      // A pipeline that reads single files as safetensors only says "header length ..." of a .ckpt: say what it is.
      if (format !== 'safetensors' && error instanceof SafetensorsError) {
        throw new InputError(`${folder}: a ${format} checkpoint, which this @sdtext/pipeline does not read as a single file; ${safetensorsConversionHint(folder)}`);
      }
      throw new InputError((error as Error).message);
    }
  }
  if (options.textEncoderConfig !== undefined) throw new UsageError('--text-encoder-config only applies to a single-file checkpoint (--model FILE.safetensors or FILE.ckpt)');
  const local = await exists(folder);
  const bare = local && !(await exists(join(folder, 'model_index.json'))) && !(await exists(join(folder, 'vocab.json')));
  if (!local && !isRepoId(model)) throw new InputError(`--model ${model}: no such folder, and not a hub repo id (owner/name)`);
  if (!bare && options.tokenizer !== undefined) {
    throw new UsageError('--tokenizer only applies to a bare text model folder; Stable Diffusion and CLIP repos bring their own tokenizer');
  }
  if (bare && !(await exists(join(folder, 'config.json')))) {
    throw new InputError(`--model ${folder}: no config.json (expected a Stable Diffusion folder, a CLIP repo folder or a CLIP text model folder)`);
  }
  const tokenizer = bare ? await loadTokenizer(options.tokenizer, io.cwd) : undefined;
  try {
    return await TextPipeline.fromPretrained(local ? folder : model, {
      ...hubOptionsFromEnv(io.env),
      engine: options.engine,
      backend: options.backend,
      onProgress: options.onProgress,
      ...(options.dtype !== undefined ? { engineOptions: { dtype: options.dtype } } : {}),
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
      ...extras,
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}

/**
 * Every file or folder a model-loading command reads, for the --out check: the model (a local
 * path, or the repo's folder in the Hugging Face cache), a tokenizer folder, the extras.
 */
export async function commandInputs(
  model: string,
  io: CliIO,
  options: { tokenizer?: string; 'textual-inversion'?: string[]; lora?: string[]; 'input-ids'?: string; 'text-encoder-config'?: string },
): Promise<string[]> {
  const { join, resolve } = await import('node:path');
  const paths: string[] = [];
  const local = resolve(io.cwd, model);
  if (await exists(local)) paths.push(local);
  else if (isRepoId(model)) {
    const cache = await hubCacheDir(hubOptionsFromEnv(io.env));
    if (cache !== null) paths.push(join(cache, repoFolderName(model)));
  }
  if (options.tokenizer !== undefined && !Object.hasOwn(TOKENIZER_PRESETS, options.tokenizer)) paths.push(resolve(io.cwd, options.tokenizer));
  for (const f of options['textual-inversion'] ?? []) paths.push(resolve(io.cwd, f));
  for (const l of options.lora ?? []) paths.push(resolve(io.cwd, parseLoraOption(l).file));
  for (const f of [options['input-ids'], options['text-encoder-config']]) if (f !== undefined) paths.push(resolve(io.cwd, f));
  return paths;
}
