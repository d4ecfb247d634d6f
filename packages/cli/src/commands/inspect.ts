import { clipTextWeightShapes, loadSafetensorsHeader, parseCLIPTextConfig } from '@sdtext/core';
import { describeCLIPTextModel } from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions } from '../parse-options.js';

const USAGE = `sdtext inspect FOLDER

Shows a CLIP text encoder's config, parameter count, weight dtype and module tree, without
running it. FOLDER is a Stable Diffusion folder or a CLIP text model folder.`;

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'config summary, parameter count, dtype and module tree of a text encoder',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { positionals } = parseOptions(args, {});
    if (positionals.length !== 1) throw new UsageError('give exactly one FOLDER');
    const { readFile, readdir, stat } = await import('node:fs/promises');
    const { join, resolve } = await import('node:path');
    const root = resolve(io.cwd, positionals[0]!);
    if (!(await stat(root).catch(() => null))?.isDirectory()) throw new InputError(`${positionals[0]}: no such folder`);
    // A Stable Diffusion folder keeps its text encoder in text_encoder/.
    const isPipeline = (await stat(join(root, 'model_index.json')).catch(() => null)) !== null;
    const encoderFolder = isPipeline ? join(root, 'text_encoder') : root;
    const configPath = join(encoderFolder, 'config.json');
    let configJson: { architectures?: unknown };
    let config;
    try {
      configJson = JSON.parse(await readFile(configPath, 'utf8')) as { architectures?: unknown };
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
