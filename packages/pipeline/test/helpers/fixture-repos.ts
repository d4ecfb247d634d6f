import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CLIPTokenizer, bundledClipVocabulary } from '@sdtext/tokenizer';
import { fixturesDir, tinyModelDir } from './paths.js';

export type RepoFiles = Record<string, Uint8Array | string>;
export type FixtureKind = 'sd2' | 'sd1' | 'sdxl' | 'clip';

let tokenizerData: { vocab: string; merges: string } | null = null;

/** vocab.json and merges.txt rebuilt from the tokenizer package's bundled CLIP vocabulary (its API, not files). */
function clipTokenizerData(): { vocab: string; merges: string } {
  if (tokenizerData) return tokenizerData;
  const vocab = JSON.stringify(CLIPTokenizer.fromPreset('sd2').getVocab());
  const { tokens, merges } = bundledClipVocabulary();
  const lines = ['#version: 0.2'];
  for (let i = 0; i < merges.length; i += 3) lines.push(`${tokens[merges[i]!]} ${tokens[merges[i + 1]!]}`);
  tokenizerData = { vocab, merges: lines.join('\n') + '\n' };
  return tokenizerData;
}

/** A Hugging Face tokenizer folder; `sd2` pads with "!", `sd1` with <|endoftext|>. */
async function tokenizerFolder(prefix: string, flavor: 'sd2' | 'sd1'): Promise<RepoFiles> {
  const configDir = join(fixturesDir, 'tokenizer', flavor === 'sd2' ? 'sd2-base' : 'sd1-clip-vit-large-patch14');
  const { vocab, merges } = clipTokenizerData();
  return {
    [`${prefix}vocab.json`]: vocab,
    [`${prefix}merges.txt`]: merges,
    [`${prefix}tokenizer_config.json`]: await readFile(join(configDir, 'tokenizer_config.json'), 'utf8'),
    [`${prefix}special_tokens_map.json`]: await readFile(join(configDir, 'special_tokens_map.json'), 'utf8'),
  };
}

async function encoderFolder(
  prefix: string,
  model: 'sd2-tiny' | 'sd1-tiny',
  variant: 'text_model' | 'text_model_with_projection',
  configPatch: Record<string, unknown> = {},
): Promise<RepoFiles> {
  const dir = join(tinyModelDir(model), variant);
  const config = { ...(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>), ...configPatch };
  return {
    [`${prefix}config.json`]: JSON.stringify(config, null, 2),
    [`${prefix}model.safetensors`]: new Uint8Array(await readFile(join(dir, 'model.safetensors'))),
  };
}

export interface FixtureOptions {
  /** Merged into text_encoder/config.json (e.g. `{ use_attention_mask: true }`). */
  encoderConfig?: Record<string, unknown>;
  /** SDXL's model_index `force_zeros_for_empty_prompt` (omitted when undefined). */
  forceZeros?: boolean;
  /** Also (or only) ship weights as `model.<variant>.safetensors`. */
  variant?: string;
}

/**
 * The golden tiny models arranged as diffusers repos: SD2 (sd2-tiny, "!" padding), SD1 (sd1-tiny),
 * SDXL (sd1-tiny as text_encoder, sd2-tiny with projection as text_encoder_2), or a plain CLIP repo.
 */
export async function fixtureRepo(kind: FixtureKind, options: FixtureOptions = {}): Promise<RepoFiles> {
  const index = (className: string, extra: Record<string, unknown>) =>
    JSON.stringify(
      {
        _class_name: className,
        _diffusers_version: '0.25.0',
        scheduler: ['diffusers', 'PNDMScheduler'],
        unet: ['diffusers', 'UNet2DConditionModel'],
        vae: ['diffusers', 'AutoencoderKL'],
        ...extra,
      },
      null,
      2,
    );
  let files: RepoFiles;
  if (kind === 'clip') {
    files = { ...(await tokenizerFolder('', 'sd1')), ...(await encoderFolder('', 'sd1-tiny', 'text_model', options.encoderConfig)) };
  } else if (kind === 'sdxl') {
    files = {
      'model_index.json': index('StableDiffusionXLPipeline', {
        text_encoder: ['transformers', 'CLIPTextModel'],
        text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        tokenizer_2: ['transformers', 'CLIPTokenizer'],
        ...(options.forceZeros === undefined ? {} : { force_zeros_for_empty_prompt: options.forceZeros }),
      }),
      ...(await tokenizerFolder('tokenizer/', 'sd1')),
      ...(await encoderFolder('text_encoder/', 'sd1-tiny', 'text_model', options.encoderConfig)),
      ...(await tokenizerFolder('tokenizer_2/', 'sd2')),
      ...(await encoderFolder('text_encoder_2/', 'sd2-tiny', 'text_model_with_projection')),
    };
  } else {
    files = {
      'model_index.json': index('StableDiffusionPipeline', {
        text_encoder: ['transformers', 'CLIPTextModel'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        safety_checker: [null, null],
      }),
      ...(await tokenizerFolder('tokenizer/', kind)),
      ...(await encoderFolder('text_encoder/', kind === 'sd2' ? 'sd2-tiny' : 'sd1-tiny', 'text_model', options.encoderConfig)),
    };
  }
  if (options.variant) {
    for (const [path, bytes] of Object.entries(files)) {
      if (path.endsWith('model.safetensors')) {
        files[path.replace(/model\.safetensors$/, `model.${options.variant}.safetensors`)] = bytes;
        delete files[path];
      }
    }
  }
  return files;
}

export async function writeRepo(root: string, files: RepoFiles): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}
