import { clipTextWeightShapes, loadSafetensorsHeader, parseCLIPTextConfig } from '@sdtext/core';
import { describeCLIPTextModel } from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions } from '../parse-options.js';
import { parseModelIndex, t5StackOf } from '@sdtext/pipeline';

/** An SD3 / Flux folder: each text encoder in diffusers' order (CLIP-L, CLIP-G, T5). */
async function describeT5Stack(root: string, stack: 'sd3' | 'flux'): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { describeClipFolder, describeT5Folder } = await import('../inspect-t5.js');
  const parts = [`${stack === 'sd3' ? 'Stable Diffusion 3' : 'Flux'} text encoders in ${root}`];
  const folders = stack === 'sd3' ? ['text_encoder', 'text_encoder_2', 'text_encoder_3'] : ['text_encoder', 'text_encoder_2'];
  for (const name of folders) {
    const configPath = join(root, name, 'config.json');
    const text = await readFile(configPath, 'utf8').catch(() => null);
    if (text === null) {
      parts.push(`${name}: none (${configPath} not found)`);
      continue;
    }
    let json: { architectures?: unknown; model_type?: unknown };
    try {
      json = JSON.parse(text) as { architectures?: unknown; model_type?: unknown };
    } catch (error) {
      throw new InputError(`${configPath}: not valid JSON (${(error as Error).message})`);
    }
    try {
      const isT5 = name === (stack === 'sd3' ? 'text_encoder_3' : 'text_encoder_2');
      parts.push(`${name}:\n` + (isT5 ? await describeT5Folder(join(root, name), json, configPath) : await describeClipFolder(join(root, name), json, configPath)));
    } catch (error) {
      throw new InputError((error as Error).message);
    }
  }
  return parts.join('\n\n');
}

const USAGE = `sdtext inspect FOLDER_OR_FILE

Shows a text encoder's config, parameter count, weight dtype and module tree, without running it.
FOLDER is a Stable Diffusion folder (SD3 and Flux: each of its encoders, T5 included), a CLIP or T5
text model folder; FILE a T5 file (ComfyUI's t5xxl_*.safetensors) or an SD3 single file, read from
its header alone.`;

export const inspectCommand: Command = {
  name: 'inspect',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { positionals } = parseOptions(args, {});
    if (positionals.length !== 1) throw new UsageError('give exactly one FOLDER');
    const { readFile, readdir, stat } = await import('node:fs/promises');
    const { join, resolve } = await import('node:path');
    const root = resolve(io.cwd, positionals[0]!);
    const info = await stat(root).catch(() => null);
    if (info?.isFile()) {
      const { describeTextEncoderFile } = await import('../inspect-t5.js');
      const text = await describeTextEncoderFile(root);
      if (text === null) throw new InputError(`${positionals[0]}: not a T5 file or an SD3 single file (for SD 1.x/2.x/XL files: sdtext encode --model FILE)`);
      io.stdout(text + '\n');
      return 0;
    }
    if (!info?.isDirectory()) throw new InputError(`${positionals[0]}: no such folder or file`);
    // A Stable Diffusion folder keeps its text encoder in text_encoder/.
    const isPipeline = (await stat(join(root, 'model_index.json')).catch(() => null)) !== null;
    if (isPipeline) {
      const stack = t5StackOf(parseModelIndex(await readFile(join(root, 'model_index.json'), 'utf8'), join(root, 'model_index.json')), join(root, 'model_index.json'));
      if (stack !== null) {
        io.stdout((await describeT5Stack(root, stack)) + '\n');
        return 0;
      }
    }
    const encoderFolder = isPipeline ? join(root, 'text_encoder') : root;
    const configPath = join(encoderFolder, 'config.json');
    let configJson: { architectures?: unknown };
    let config;
    try {
      configJson = JSON.parse(await readFile(configPath, 'utf8')) as { architectures?: unknown };
      if (!isPipeline) {
        const { describeT5Folder, isT5Config } = await import('../inspect-t5.js');
        if (isT5Config(configJson)) {
          io.stdout((await describeT5Folder(root, configJson, configPath)) + '\n');
          return 0;
        }
      }
      config = parseCLIPTextConfig(configJson, configPath);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new InputError(missing ? `${configPath} not found: expected a Stable Diffusion or CLIP text model folder` : (error as Error).message);
    }
    const withProjection = Array.isArray(configJson.architectures) && configJson.architectures.includes('CLIPTextModelWithProjection');
    const folder = { encoderFolder, withProjection };
    const weights = clipTextWeightShapes(config, { withProjection: folder.withProjection });
    const parameters = [...weights.values()].reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);

    // Dtypes as stored, read from the safetensors headers only (no weights loaded).
    const files = (await readdir(folder.encoderFolder)).filter((f) => f.endsWith('.safetensors')).sort();
    const dtypes: string[] = [];
    for (const file of files) {
      try {
        const header = await loadSafetensorsHeader(join(folder.encoderFolder, file));
        const counts = new Map<string, number>();
        for (const info of header.tensors) counts.set(info.dtype, (counts.get(info.dtype) ?? 0) + 1);
        dtypes.push(`${file}: ${[...counts].map(([d, n]) => `${d} (${n} tensor${n === 1 ? '' : 's'})`).join(', ')}`);
      } catch (error) {
        dtypes.push(`${file}: unreadable (${(error as Error).message})`);
      }
    }
    const summary = [
      `${folder.withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'} in ${folder.encoderFolder}`,
      `  hidden_size=${config.hidden_size} num_hidden_layers=${config.num_hidden_layers} num_attention_heads=${config.num_attention_heads} ` +
        `intermediate_size=${config.intermediate_size}`,
      `  hidden_act=${config.hidden_act} vocab_size=${config.vocab_size} max_position_embeddings=${config.max_position_embeddings} ` +
        `layer_norm_eps=${config.layer_norm_eps} eos_token_id=${config.eos_token_id}` +
        (folder.withProjection ? ` projection_dim=${config.projection_dim}` : ''),
      `  parameters: ${parameters.toLocaleString('en-US')} (${(parameters / 1e6).toFixed(1)} M)`,
      `  weights: ${dtypes.length ? dtypes.join('; ') : 'no .safetensors files'}`,
      '',
      describeCLIPTextModel(config, { withProjection: folder.withProjection }),
    ];
    io.stdout(summary.join('\n') + '\n');
    return 0;
  },
};
