import { CLIPTextModel, CLIPTextModelWithProjection } from '@sdtext/text-encoder';
import type { BackendName } from '@sdtext/text-encoder';
import { InputError } from './command.js';

/** A text encoder folder as the CLI finds it: a Stable Diffusion folder or a bare CLIP text model. */
export interface ModelFolder {
  /** The folder holding config.json and the weights. */
  readonly encoderFolder: string;
  /** The tokenizer folder that ships with it, if any. */
  readonly tokenizerFolder: string | null;
  readonly withProjection: boolean;
}

async function exists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `--model FOLDER`: a diffusers folder (model_index.json, text_encoder/, tokenizer/) or a folder
 * with a CLIP text model's config.json and weights.
 */
export async function findModelFolder(model: string, cwd: string): Promise<ModelFolder> {
  const { join, resolve } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const root = resolve(cwd, model);
  if (!(await exists(root))) throw new InputError(`--model ${model}: no such folder`);
  const isPipeline = await exists(join(root, 'model_index.json'));
  const encoderFolder = isPipeline ? join(root, 'text_encoder') : root;
  const configPath = join(encoderFolder, 'config.json');
  if (!(await exists(configPath))) {
    throw new InputError(`--model ${model}: no ${isPipeline ? 'text_encoder/config.json' : 'config.json'} (expected a Stable Diffusion folder or a CLIP text model folder)`);
  }
  let architectures: unknown;
  try {
    architectures = (JSON.parse(await readFile(configPath, 'utf8')) as { architectures?: unknown }).architectures;
  } catch (error) {
    throw new InputError(`${configPath}: not valid JSON (${(error as Error).message})`);
  }
  const tokenizerCandidates = isPipeline ? [join(root, 'tokenizer')] : [root];
  let tokenizerFolder: string | null = null;
  for (const candidate of tokenizerCandidates) if (await exists(join(candidate, 'vocab.json'))) tokenizerFolder = candidate;
  return {
    encoderFolder,
    tokenizerFolder,
    withProjection: Array.isArray(architectures) && architectures.includes('CLIPTextModelWithProjection'),
  };
}

export async function loadTextModel(
  folder: ModelFolder,
  backend: BackendName,
): Promise<CLIPTextModel | CLIPTextModelWithProjection> {
  const Model = folder.withProjection ? CLIPTextModelWithProjection : CLIPTextModel;
  try {
    return await Model.fromPretrained(folder.encoderFolder, { backend });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
}
