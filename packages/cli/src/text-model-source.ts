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
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}
