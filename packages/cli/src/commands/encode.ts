import * as tf from '@tensorflow/tfjs-core';
import {
  formatTensor,
  writeSafetensorsFile,
  type BackendName,
  type CLIPTextOutputs,
  type SafetensorsEntry,
} from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { readIdsFile, type IdsInput } from '../input-ids-file.js';
import { findModelFolder, loadTextModel } from '../model-folder.js';
import { parseOptions } from '../parse-options.js';
import { TOKENIZER_OPTION_HELP, loadTokenizer } from '../tokenizer-option.js';

const USAGE = `sdtext encode [PROMPT...] --model FOLDER [options]

Runs the CLIP text encoder on prompts (tokenized and padded to 77, as Stable Diffusion does) or on
token ids, and prints the outputs in PyTorch's layout or writes them to a safetensors file.

  --model FOLDER              a Stable Diffusion folder (model_index.json, text_encoder/, tokenizer/)
                              or a CLIP text model folder (config.json + model.safetensors)
  --input-ids FILE            JSON {"input_ids": [[...]], "attention_mask": [[...]]} instead of prompts
  ${TOKENIZER_OPTION_HELP.replace('(default: sd2)', "(default: the model's tokenizer/, else sd2)")}
  --backend cpu|wasm          tfjs backend (default: wasm)
  --hidden-states             also output every layer's hidden state
  --out FILE.safetensors      write float32 last_hidden_state, pooler_output, hidden_states
                              [layers+1, B, S, H] and text_embeds (projection models)`;

const BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'prompts or ids -> text encoder outputs (last_hidden_state, pooler_output, ...)',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      model: { type: 'string' },
      'input-ids': { type: 'string' },
      tokenizer: { type: 'string' },
      backend: { type: 'string' },
      'hidden-states': { type: 'boolean', default: false },
      out: { type: 'string' },
    });
    if (!values.model) throw new UsageError('--model FOLDER is required');
    const backend = (values.backend ?? 'wasm') as BackendName;
    if (!BACKENDS.includes(backend)) throw new UsageError(`--backend must be cpu or wasm, got "${values.backend}"`);
    if (positionals.length > 0 && values['input-ids']) throw new UsageError('give PROMPTs or --input-ids FILE, not both');
    if (positionals.length === 0 && !values['input-ids']) throw new UsageError('give at least one PROMPT or --input-ids FILE');
    if (values.out !== undefined && !values.out.endsWith('.safetensors')) {
      throw new UsageError(`--out must name a .safetensors file, got "${values.out}"`);
    }

    const folder = await findModelFolder(values.model, io.cwd);
    let inputs: IdsInput;
    if (values['input-ids']) {
      inputs = await readIdsFile(values['input-ids'], io.cwd);
    } else {
      const tokenizer = await loadTokenizer(values.tokenizer ?? folder.tokenizerFolder ?? undefined, io.cwd);
      // Stable Diffusion pads to 77 and passes no attention mask (diffusers' encode_prompt).
      const encoded = tokenizer.encode(positionals, { padding: 'max_length', maxLength: tokenizer.modelMaxLength, truncation: true });
      encoded.truncation.forEach((cut, i) => {
        if (cut) io.stderr(`warning: prompt ${i + 1} was truncated; CLIP never sees the last ${cut.removedTokens} tokens: "${cut.removedText}"\n`);
      });
      inputs = { inputIds: encoded.inputIds, attentionMask: null };
    }

    const model = await loadTextModel(folder, backend);
    try {
      let outputs: CLIPTextOutputs & { textEmbeds?: tf.Tensor2D };
      try {
        outputs = model.forward({ inputIds: inputs.inputIds, attentionMask: inputs.attentionMask, outputHiddenStates: values['hidden-states'] });
      } catch (error) {
        throw new InputError((error as Error).message);
      }
      const named: [string, tf.Tensor][] = [
        ['last_hidden_state', outputs.lastHiddenState],
        ['pooler_output', outputs.poolerOutput],
      ];
      if (outputs.hiddenStates) named.push(['hidden_states', tf.stack(outputs.hiddenStates)]);
      if (outputs.textEmbeds) named.push(['text_embeds', outputs.textEmbeds]);
      const tensors = new Map<string, SafetensorsEntry>();
      for (const [name, tensor] of named) tensors.set(name, { shape: tensor.shape, data: (await tensor.data()) as Float32Array });
      tf.dispose([...named.map(([, t]) => t), ...(outputs.hiddenStates ?? [])]);

      if (values.out) {
        await writeSafetensorsFile(values.out.startsWith('/') ? values.out : `${io.cwd}/${values.out}`, tensors, {
          format: 'pt',
          producer: 'sdtext encode',
        });
        const shapes = [...tensors].map(([name, t]) => `${name} [${t.shape.join(', ')}]`).join(', ');
        io.stdout(`wrote ${values.out}: ${shapes}\n`);
      } else {
        io.stdout(formatOutputs(inputs, tensors));
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};

/** The seed's view: the inputs, then `pprint(outputs)` with PyTorch's tensor layout, plus shapes. */
function formatOutputs(inputs: IdsInput, tensors: Map<string, SafetensorsEntry>): string {
  const flat = (rows: number[][]) => rows.flat();
  const shape = [inputs.inputIds.length, inputs.inputIds[0]!.length];
  const lines = [`input_ids: ${formatTensor(flat(inputs.inputIds), shape, { kind: 'int' })}`];
  if (inputs.attentionMask) lines.push(`attention_mask: ${formatTensor(flat(inputs.attentionMask), shape, { kind: 'int' })}`);
  lines.push('');
  const printed = [...tensors].filter(([name]) => name !== 'hidden_states');
  const body = printed
    .map(([name, t]) => `'${name}': ${formatTensor(t.data as Float32Array, t.shape)}`)
    .join(',\n ');
  lines.push(`{${body}}`, '');
  for (const [name, t] of tensors) lines.push(`${name}: [${t.shape.join(', ')}]`);
  return lines.join('\n') + '\n';
}
