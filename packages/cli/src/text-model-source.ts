import { TextPipeline, hubOptionsFromEnv, isRepoId, type EngineChoice, type FileProgress } from '@sdtext/pipeline';
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
}

/** `FILE:SCALE` -> { file, scale }: the scale is what follows the last colon, when it is a number (else scale 1). */
export function parseLoraOption(value: string): { file: string; scale: number } {
  const m = /^(.+):([-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?)$/i.exec(value);
  if (!m) return { file: value, scale: 1 };
  return { file: m[1]!, scale: Number(m[2]) };
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
    // A single-file checkpoint (A1111 / ComfyUI / civitai .safetensors): the pipeline finds SD 1.x, 2.x or SDXL in it.
    if (!folder.endsWith('.safetensors')) throw new InputError(`--model ${folder}: a single-file checkpoint must be .safetensors (.ckpt is a pickle: convert it)`);
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
    try {
      return await TextPipeline.fromSingleFile(folder, {
        engine: options.engine,
        backend: options.backend,
        onProgress: options.onProgress,
        ...(tokenizer !== undefined ? { tokenizer } : {}),
        ...(textEncoderConfig !== undefined ? { textEncoderConfig } : {}),
        ...extras,
      });
    } catch (error) {
      throw new InputError((error as Error).message);
    }
  }
  if (options.textEncoderConfig !== undefined) throw new UsageError('--text-encoder-config only applies to a single-file checkpoint (--model FILE.safetensors)');
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
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(options.revision !== undefined ? { revision: options.revision } : {}),
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
      ...extras,
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}
