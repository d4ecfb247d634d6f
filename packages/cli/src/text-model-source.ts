import { SafetensorsError, inspectSingleFile, loadSafetensorsHeader, safetensorsConversionHint, sd3TextEncodersIn } from '@sdtext/core';
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
  /** --t5-tokenizer PATH: T5's tokenizer for SD3 / Flux files (which hold none). */
  t5Tokenizer?: string;
}

/** --clip-l / --clip-g / --t5: ComfyUI's separate SD3 / Flux text encoder files. */
export interface TextEncoderFileOptions {
  clipL?: string;
  clipG?: string;
  t5?: string;
}

/** --text-encoder-config for SD3 / Flux files: `{ "clip_l": {...}, "clip_g": {...}, "t5xxl": {...} }`, each the fields a file cannot tell. */
async function t5StackConfigs(path: string | undefined, io: CliIO): Promise<Record<string, Record<string, unknown>>> {
  if (path === undefined) return {};
  const json = await readJson(path, io, '--text-encoder-config');
  const configs: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(json)) {
    if (!['clip_l', 'clip_g', 't5xxl'].includes(key) || typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`--text-encoder-config ${path}: SD3 / Flux files take { "clip_l": {...}, "clip_g": {...}, "t5xxl": {...} }, got the key ${JSON.stringify(key)}`);
    }
    configs[key] = value as Record<string, unknown>;
  }
  return {
    ...(configs.clip_l ? { clipLConfig: configs.clip_l } : {}),
    ...(configs.clip_g ? { clipGConfig: configs.clip_g } : {}),
    ...(configs.t5xxl ? { t5Config: configs.t5xxl } : {}),
  };
}

async function readJson(path: string, io: CliIO, option: string): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  const { resolve } = await import('node:path');
  const full = resolve(io.cwd, path);
  try {
    const json = JSON.parse(await readFile(full, 'utf8')) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('expected a JSON object');
    return json as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`${option} ${full}: ${(error as Error).message}`);
  }
}

/** Whether a local file is a safetensors file holding SD3-style text encoders (text_encoders.*.transformer.*). */
async function isSd3StyleFile(path: string): Promise<boolean> {
  const header = await loadSafetensorsHeader(path).catch(() => null);
  return header !== null && sd3TextEncodersIn(header.tensors.map((t) => t.name)).length > 0;
}

/**
 * SD3 / Flux from ComfyUI's separate files (--clip-l, --clip-g, --t5) or an SD3 single file
 * (--model FILE with text_encoders.* keys), T5's tokenizer from --t5-tokenizer.
 */
async function loadT5StackFiles(files: TextEncoderFileOptions & { single?: string }, io: CliIO, options: TextModelOptions): Promise<TextPipeline<EngineChoice>> {
  const { resolve } = await import('node:path');
  const at = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(io.cwd, p));
  const extras = await extrasOf(io, options);
  if (extras.lora || extras.textualInversion) throw new UsageError('--lora and --textual-inversion are not supported on SD3 / Flux yet');
  const common = {
    engine: options.engine,
    backend: options.backend,
    onProgress: options.onProgress,
    // --dtype q8: the CLIP encoders and T5 alike (the pipeline passes engineOptions' dtype on to T5).
    ...(options.dtype !== undefined ? { engineOptions: { dtype: options.dtype } } : {}),
    ...(options.t5Tokenizer !== undefined ? { t5Tokenizer: isRepoId(options.t5Tokenizer) && !(await exists(resolve(io.cwd, options.t5Tokenizer))) ? options.t5Tokenizer : resolve(io.cwd, options.t5Tokenizer) } : {}),
    ...(await t5StackConfigs(options.textEncoderConfig, io)),
  };
  try {
    if (files.single !== undefined) return await TextPipeline.fromSingleFile(files.single, common);
    if (files.clipL === undefined) throw new UsageError('--clip-l FILE is needed (with --clip-g for SD3, --t5 for T5)');
    return await TextPipeline.fromFiles({ clipL: at(files.clipL)!, ...(files.clipG !== undefined ? { clipG: at(files.clipG)! } : {}), ...(files.t5 !== undefined ? { t5: at(files.t5)! } : {}) }, common);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new InputError((error as Error).message);
  }
}

/** `--clip-l/--clip-g/--t5` instead of --model: ComfyUI's separate SD3 / Flux files. */
export async function loadTextPipelineFromFiles(files: TextEncoderFileOptions, io: CliIO, options: TextModelOptions): Promise<TextPipeline<EngineChoice>> {
  return loadT5StackFiles(files, io, options);
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
  if ((await isFile(folder)) && (await isSd3StyleFile(folder))) return loadT5StackFiles({ single: folder }, io, options);
  if (options.t5Tokenizer !== undefined) {
    // A diffusers SD3 / Flux folder brings its own T5 tokenizer.
    throw new UsageError('--t5-tokenizer applies to SD3 / Flux files (--model FILE.safetensors with text_encoders.* keys, --clip-l/--clip-g/--t5), which hold no tokenizer');
  }
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
  options: {
    tokenizer?: string;
    'textual-inversion'?: string[];
    lora?: string[];
    'input-ids'?: string;
    'text-encoder-config'?: string;
    'clip-l'?: string;
    'clip-g'?: string;
    t5?: string;
    't5-tokenizer'?: string;
  },
): Promise<string[]> {
  const { join, resolve } = await import('node:path');
  const paths: string[] = [];
  const local = resolve(io.cwd, model);
  if (model === '') {
    // --clip-l / --clip-g / --t5 instead of --model
  } else if (await exists(local)) paths.push(local);
  else if (isRepoId(model)) {
    const cache = await hubCacheDir(hubOptionsFromEnv(io.env));
    if (cache !== null) paths.push(join(cache, repoFolderName(model)));
  }
  if (options.tokenizer !== undefined && !Object.hasOwn(TOKENIZER_PRESETS, options.tokenizer)) paths.push(resolve(io.cwd, options.tokenizer));
  for (const f of options['textual-inversion'] ?? []) paths.push(resolve(io.cwd, f));
  for (const l of options.lora ?? []) paths.push(resolve(io.cwd, parseLoraOption(l).file));
  for (const f of [options['input-ids'], options['text-encoder-config'], options['clip-l'], options['clip-g'], options.t5, options['t5-tokenizer']]) {
    if (f !== undefined) paths.push(resolve(io.cwd, f));
  }
  return paths;
}
