import * as tf from '@tensorflow/tfjs-core';
import { writeSafetensorsFile, type EncodeOutputs, type FloatTensor, type SafetensorsEntry, type TextEncoderEngine } from '@sdtext/core';
import {
  ENGINE_CHOICES,
  PROMPT_DIALECTS,
  type ArrayTensor,
  type EngineChoice,
  type PromptDialect,
  type PromptEmbeddings,
  type PromptSchedule,
} from '@sdtext/pipeline';
import { formatTensor, type BackendName } from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { readIdsFile, type IdsInput } from '../input-ids-file.js';
import { parseOptions, parsePositiveInteger } from '../parse-options.js';
import { ProgressReporter } from '../progress.js';
import { parseClipSkip } from '../clip-skip-option.js';
import { refuseInputAsOutput } from '../output-guard.js';
import { commandInputs, loadTextPipeline, loadTextPipelineFromFiles, parseDtype, type TextModelOptions } from '../text-model-source.js';
import { TOKENIZER_OPTION_HELP } from '../tokenizer-option.js';

const USAGE = `sdtext encode [PROMPT...] --model REPO_OR_FOLDER [options]
sdtext encode [PROMPT...] --clip-l FILE [--clip-g FILE] --t5 FILE --t5-tokenizer PATH [options]

Runs the CLIP text encoder on prompts (tokenized and padded to 77, as Stable Diffusion does) or on
token ids, and prints the outputs in PyTorch's layout or writes them to a safetensors file. For
Stable Diffusion 3 and Flux (a diffusers folder or hub repo, an SD3 single file, or ComfyUI's
separate files) it writes diffusers' encode_prompt outputs: prompt_embeds (SD3 [B, 77 + 256, 4096]:
CLIP-L and CLIP-G zero-padded to T5's width, then T5; Flux: T5's [B, 512, 4096]),
pooled_prompt_embeds (SD3: CLIP-L + CLIP-G, 2048; Flux: CLIP-L, 768), Flux's text_ids, and the
negative ones with --negative-prompt.

  --model REPO_OR_FOLDER      a hub repo id (stabilityai/stable-diffusion-2-base), a Stable Diffusion
                              or CLIP folder, a bare CLIP text model folder (config.json + weights),
                              or a single-file SD 1.x/2.x/XL checkpoint (FILE.safetensors or an older
                              FILE.ckpt, told by its bytes: only its text encoders are read)
  --textual-inversion FILE    add a textual inversion embedding (.safetensors, .pt, .bin; diffusers,
                              A1111 or SDXL format; repeatable): its token works in the prompts, and
                              in --dialect its name (a1111: the file's stem; comfy: embedding:NAME)
  --embeddings DIR            a folder of embeddings (and its subfolders), found by name in --dialect
                              as the front end finds them: a1111 "easynegative", comfy
                              "embedding:easynegative" or "embedding:sub/name" (no diffusers tokens)
  --lora FILE[:SCALE]         merge a text encoder LoRA (kohya, diffusers/peft, or LyCORIS
                              LoHa/LoKr/LoCon/DoRA) at SCALE
                              (default 1; repeatable)
  --text-encoder-config FILE  JSON of config fields a single file cannot tell (num_attention_heads:
                              hidden_size / 64 unless given); SD3 / Flux files:
                              {"clip_l": {...}, "clip_g": {...}, "t5xxl": {...}}
  --clip-l FILE, --clip-g FILE, --t5 FILE
                              SD3 (with --clip-g) or Flux from ComfyUI's separate text encoder files
                              (clip_l.safetensors, clip_g.safetensors, t5xxl_fp16 / fp8 / scaled fp8)
  --t5-tokenizer PATH         T5's tokenizer for SD3 / Flux files, which hold none: a T5 tokenizer
                              folder, or an SD3 / Flux folder or hub repo id (its tokenizer_3 / _2)
  --max-sequence-length N     SD3 / Flux: T5's prompt length (default 256 SD3, 512 Flux; at most 512)
  --revision R, --variant V   hub revision (default main) and weights variant (e.g. fp16)
  --input-ids FILE            JSON {"input_ids": [[...]], "attention_mask": [[...]]} instead of prompts
  ${TOKENIZER_OPTION_HELP.replace('(default: sd2)', '(bare text model folders only; default: sd2)')}
  --engine tfjs|onnx|auto     onnx: ONNX Runtime (3-4x faster); tfjs: TensorFlow.js; auto (default):
                              onnx, and tfjs (with a note on stderr) where ONNX Runtime cannot run.
                              The outputs are the same (within 1e-4) on both engines.
  --backend cpu|wasm          the tfjs engine's backend (default: wasm); ignored by onnx
  --dtype fp32|q8             q8: the onnx engine with int8 weights and integer GEMMs (faster, not
                              exact: see @sdtext/onnx's README; SD3 / Flux: the CLIPs and T5);
                              default fp32, the exact model
  --hidden-states             also output every layer's hidden state
  --negative-prompt TEXT      also output diffusers' encode_prompt embeddings: prompt_embeds and
                              negative_prompt_embeds (negative prompt "" unless given)
  --clip-skip N               layers to skip, numbered as the prompt's front end numbers them:
                              plain prompts and --dialect compel: diffusers' (0 = last layer; N takes
                              hidden_states[-(N + 1)] through the final LayerNorm); --dialect a1111:
                              webui's "Clip skip" (1 = last layer, 2 = penultimate; ignored on SD 2.x
                              and, without --sdxl-clip-l-skip, on SDXL, as webui does); --dialect
                              comfy: CLIPSetLastLayer (-1 = last, -2 = penultimate; write
                              --clip-skip=-2; on SD 2.x ComfyUI's default is already -2)
  --dialect a1111|comfy|compel  read the prompts in that front end's syntax ((x:1.3), [x], BREAK,
                              prompts over 75 tokens) and write its prompt_embeds
                              [B, 77 x chunks, H] (see sdtext parse); SD3 / Flux: comfy (ComfyUI's
                              sd3_clip / flux weighting)
  --steps N                   the sampling steps: write the conditioning at each step, as the
                              front end schedules it (a1111: [a:b:0.5], [a|b], AND parts with
                              their weights; needed for such prompts): tensors
                              schedule.I.prompt_embeds.K (entry I, part K) and
                              schedule.I.negative_prompt_embeds, entry I used while the sampler's
                              step (from 0) is at most its until_step (in the file's metadata)
  --hires-steps N             with --steps: a hires-fix pass of N steps (webui's [a:b:1.5])
  --pad-cond-uncond           a1111: webui's "Pad prompt/negative prompt" option. Off by default,
                              as in webui: the prompt and negative prompt keep their own lengths
                              (before, sdtext always padded the shorter one)
  --sdxl-clip-l-skip          a1111 on SDXL: webui's "Clip skip SDXL" option
  --out FILE.safetensors      write the outputs as float32: last_hidden_state, pooler_output,
                              hidden_states [layers+1, B, S, H], text_embeds (projection models),
                              prompt_embeds, negative_prompt_embeds (SDXL: also pooled_prompt_embeds,
                              negative_pooled_prompt_embeds)

Environment: HF_TOKEN, HF_ENDPOINT, HF_HOME / HF_HUB_CACHE, HF_HUB_OFFLINE=1, as Python's huggingface_hub.`;

const BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

export const encodeCommand: Command = {
  name: 'encode',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      model: { type: 'string' },
      engine: { type: 'string' },
      revision: { type: 'string' },
      variant: { type: 'string' },
      'input-ids': { type: 'string' },
      tokenizer: { type: 'string' },
      backend: { type: 'string' },
      'hidden-states': { type: 'boolean', default: false },
      'negative-prompt': { type: 'string' },
      'clip-skip': { type: 'string' },
      dialect: { type: 'string' },
      steps: { type: 'string' },
      'hires-steps': { type: 'string' },
      'pad-cond-uncond': { type: 'boolean', default: false },
      'sdxl-clip-l-skip': { type: 'boolean', default: false },
      embeddings: { type: 'string' },
      'textual-inversion': { type: 'string', multiple: true },
      lora: { type: 'string', multiple: true },
      'text-encoder-config': { type: 'string' },
      'clip-l': { type: 'string' },
      'clip-g': { type: 'string' },
      t5: { type: 'string' },
      't5-tokenizer': { type: 'string' },
      'max-sequence-length': { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
    });
    const files = values['clip-l'] !== undefined || values['clip-g'] !== undefined || values.t5 !== undefined;
    if (files && values.model) throw new UsageError('give --model, or --clip-l/--clip-g/--t5 (ComfyUI\'s separate files), not both');
    if (!values.model && !files) throw new UsageError('--model REPO_OR_FOLDER is required (or --clip-l/--clip-g/--t5 for SD3 / Flux files)');
    const maxSequenceLength = parsePositiveInteger(values['max-sequence-length'], '--max-sequence-length');
    const backend = (values.backend ?? 'wasm') as BackendName;
    if (!BACKENDS.includes(backend)) throw new UsageError(`--backend must be cpu or wasm, got "${values.backend}"`);
    const engine = (values.engine ?? 'auto') as EngineChoice;
    if (!ENGINE_CHOICES.includes(engine)) throw new UsageError(`--engine must be ${ENGINE_CHOICES.join(', ')}, got "${values.engine}"`);
    if (positionals.length > 0 && values['input-ids']) throw new UsageError('give PROMPTs or --input-ids FILE, not both');
    if (positionals.length === 0 && !values['input-ids']) throw new UsageError('give at least one PROMPT or --input-ids FILE');
    if (values.out !== undefined && !values.out.endsWith('.safetensors')) {
      throw new UsageError(`--out must name a .safetensors file, got "${values.out}"`);
    }
    const dialect = values.dialect as PromptDialect | undefined;
    if (dialect !== undefined && !PROMPT_DIALECTS.includes(dialect)) {
      throw new UsageError(`--dialect must be ${PROMPT_DIALECTS.join(' or ')}, got "${values.dialect}"`);
    }
    const clipSkip = parseClipSkip(values['clip-skip'], dialect);
    const steps = parsePositiveInteger(values.steps, '--steps');
    const hiresSteps = parsePositiveInteger(values['hires-steps'], '--hires-steps');
    if (hiresSteps !== undefined && steps === undefined) throw new UsageError('--hires-steps needs --steps (the first pass\'s steps)');
    if (values['pad-cond-uncond'] && dialect !== 'a1111') throw new UsageError('--pad-cond-uncond is webui\'s option: it needs --dialect a1111');
    if (values['sdxl-clip-l-skip'] && dialect !== 'a1111') throw new UsageError('--sdxl-clip-l-skip is webui\'s option: it needs --dialect a1111');
    if (dialect !== undefined && values['hidden-states']) throw new UsageError('--hidden-states shows one encoder pass; --dialect encodes chunks: use one or the other');
    if (steps !== undefined && values['hidden-states']) throw new UsageError('--hidden-states shows one encoder pass; --steps writes a schedule: use one or the other');
    const wantsPromptEmbeds = values['negative-prompt'] !== undefined || clipSkip !== undefined || dialect !== undefined || steps !== undefined;
    if (wantsPromptEmbeds && values['input-ids']) {
      throw new UsageError('--negative-prompt, --clip-skip, --dialect and --steps work on PROMPTs, not on --input-ids');
    }
    const idsFile = values['input-ids'] ? await readIdsFile(values['input-ids'], io.cwd) : null;
    // --out may not be anything this command reads (the model's own weights, an embedding, a LoRA):
    // checked now, before minutes of loading, and again just before writing.
    const outPath = values.out === undefined ? null : (await import('node:path')).resolve(io.cwd, values.out);
    const readPaths = outPath === null ? [] : await commandInputs(values.model ?? '', io, values);
    const embeddingsDir = values.embeddings === undefined ? null : (await import('node:path')).resolve(io.cwd, values.embeddings);
    if (embeddingsDir !== null) await checkEmbeddingsDir(embeddingsDir, values.embeddings!, outPath);
    if (outPath !== null) await refuseInputAsOutput('--out', outPath, readPaths);

    // tfjs's cpu backend greets Node users with an advert for tfjs-node on stderr; PROD mode (a
    // finished application, as this command is) keeps stderr for our own warnings.
    tf.env().set('PROD', true);
    const progress = new ProgressReporter(io);
    const dtype = parseDtype(values.dtype);
    const modelOptions: TextModelOptions = {
      engine,
      backend,
      ...(dtype !== undefined ? { dtype } : {}),
      onProgress: (p) => progress.update(p),
      ...(values.tokenizer !== undefined ? { tokenizer: values.tokenizer } : {}),
      ...(values.revision !== undefined ? { revision: values.revision } : {}),
      ...(values.variant !== undefined ? { variant: values.variant } : {}),
      ...(values['textual-inversion'] !== undefined ? { textualInversion: values['textual-inversion'] } : {}),
      ...(values.lora !== undefined ? { lora: values.lora } : {}),
      ...(values['text-encoder-config'] !== undefined ? { textEncoderConfig: values['text-encoder-config'] } : {}),
      ...(values['t5-tokenizer'] !== undefined ? { t5Tokenizer: values['t5-tokenizer'] } : {}),
    };
    const pipe = values.model
      ? await loadTextPipeline(values.model, io, modelOptions)
      : await loadTextPipelineFromFiles({ clipL: values['clip-l'], clipG: values['clip-g'], t5: values.t5 }, io, modelOptions);
    progress.finish();
    const { fallbackReason } = pipe.encoder;
    if (fallbackReason !== undefined) io.stderr(`note: --engine auto runs on ${pipe.encoder.backend}: ONNX Runtime cannot run here (${fallbackReason})\n`);
    const t5Stack = pipe.kind === 'sd3' || pipe.kind === 'flux';
    try {
      if (t5Stack) {
        if (idsFile || values['hidden-states'] || steps !== undefined) {
          throw new InputError(`--input-ids, --hidden-states and --steps show one CLIP pass or a webui schedule; ${pipe.kind === 'sd3' ? 'SD3' : 'Flux'} writes encode_prompt's embeddings`);
        }
        return await encodeT5Stack(pipe, positionals, { values, dialect, clipSkip, maxSequenceLength, outPath, readPaths, io });
      }
      if (maxSequenceLength !== undefined) throw new InputError('--max-sequence-length is for SD3 / Flux (their T5 prompt)');
      let inputs: IdsInput | null;
      let outputs: EncodeOutputs | null;
      let embeddings: PromptEmbeddings<ArrayTensor> | null = null;
      let schedule: PromptSchedule<ArrayTensor> | null = null;
      const warn = (message: string): void => io.stderr(`warning: ${message}\n`);
      const frontEnd = {
        ...(values['negative-prompt'] !== undefined ? { negativePrompt: values['negative-prompt'] } : {}),
        ...(clipSkip !== undefined ? { clipSkip } : {}),
        ...(values['pad-cond-uncond'] ? { padCondUncond: true } : {}),
        ...(values['sdxl-clip-l-skip'] ? { sdxlClipLSkip: true } : {}),
      };
      try {
        if (embeddingsDir !== null) await pipe.loadTextualInversion({ folder: embeddingsDir }, { onWarning: warn });
        if (steps !== undefined) {
          schedule = await pipe.encodePrompt({
            prompt: positionals,
            ...(dialect !== undefined ? { dialect } : {}),
            ...frontEnd,
            steps,
            ...(hiresSteps !== undefined ? { hiresSteps } : {}),
            onWarning: warn,
            output: 'array',
          });
          inputs = null;
          outputs = null;
        } else if (idsFile) {
          inputs = idsFile;
          outputs = await pipe.encoder.encode({ inputIds: idsFile.inputIds, attentionMask: idsFile.attentionMask, outputHiddenStates: values['hidden-states'] });
        } else if (dialect !== undefined) {
          // The front end's own conditioning: chunks, weights; no single encoder pass to print.
          embeddings = await pipe.encodePrompt({ prompt: positionals, dialect, ...frontEnd, onWarning: warn, output: 'array' });
          inputs = null;
          outputs = null;
        } else {
          // One pipeline call: the prompt is tokenized and encoded once; its raw outputs come back with the embeddings.
          embeddings = await pipe.encodePrompt({
            prompt: positionals,
            guidance: wantsPromptEmbeds,
            ...(values['negative-prompt'] !== undefined ? { negativePrompt: values['negative-prompt'] } : {}),
            ...(clipSkip !== undefined ? { clipSkip } : {}),
            returnEncoderOutputs: true,
            outputHiddenStates: values['hidden-states'],
            output: 'array',
            onWarning: (message) => io.stderr(`warning: ${message}\n`),
          });
          const pass = embeddings.encoderOutputs!;
          inputs = { inputIds: pass.inputIds, attentionMask: pass.attentionMask };
          outputs = pass.outputs;
        }
      } catch (error) {
        throw new InputError((error as Error).message);
      }

      const tensors = outputs ? outputTensors(outputs) : schedule ? scheduleTensors(schedule) : new Map<string, SafetensorsEntry & { data: Float32Array }>();
      if (embeddings && wantsPromptEmbeds) {
        tensors.set('prompt_embeds', embeddings.promptEmbeds);
        if (embeddings.negativePromptEmbeds) tensors.set('negative_prompt_embeds', embeddings.negativePromptEmbeds);
        if (embeddings.pooledPromptEmbeds) tensors.set('pooled_prompt_embeds', embeddings.pooledPromptEmbeds);
        if (embeddings.negativePooledPromptEmbeds) tensors.set('negative_pooled_prompt_embeds', embeddings.negativePooledPromptEmbeds);
      }

      if (outPath !== null) {
        await refuseInputAsOutput('--out', outPath, readPaths);
        try {
          await writeSafetensorsFile(outPath, tensors, { format: 'pt', producer: 'sdtext encode', ...(schedule ? { schedule: scheduleMetadata(schedule) } : {}) });
        } catch (error) {
          throw new InputError(`--out ${values.out}: ${(error as Error).message}`);
        }
        const shapes = [...tensors].map(([name, t]) => `${name} [${t.shape.join(', ')}]`).join(', ');
        io.stdout(`wrote ${values.out}: ${shapes}\n`);
        if (schedule) io.stdout(describeSchedule(schedule));
      } else {
        io.stdout(inputs ? formatOutputs(inputs, tensors, pipe.encoder) : formatEmbeddings(tensors, pipe.encoder));
        if (schedule) io.stdout(describeSchedule(schedule));
      }
    } finally {
      await pipe.dispose();
    }
    return 0;
  },
};

type Values = Record<string, string | boolean | string[] | undefined>;

/** SD3 / Flux: diffusers' encode_prompt (or --dialect comfy) outputs, by diffusers' names. */
async function encodeT5Stack(
  pipe: Awaited<ReturnType<typeof loadTextPipeline>>,
  prompts: string[],
  run: { values: Values; dialect: PromptDialect | undefined; clipSkip: number | undefined; maxSequenceLength: number | undefined; outPath: string | null; readPaths: string[]; io: CliIO },
): Promise<number> {
  const { values, io } = run;
  const negativePrompt = values['negative-prompt'] as string | undefined;
  let embeddings: PromptEmbeddings<ArrayTensor>;
  try {
    embeddings = await pipe.encodePrompt({
      prompt: prompts,
      guidance: negativePrompt !== undefined,
      ...(negativePrompt !== undefined ? { negativePrompt } : {}),
      ...(run.clipSkip !== undefined ? { clipSkip: run.clipSkip } : {}),
      ...(run.dialect !== undefined ? { dialect: run.dialect } : {}),
      ...(run.maxSequenceLength !== undefined ? { maxSequenceLength: run.maxSequenceLength } : {}),
      onWarning: (message) => io.stderr(`warning: ${message}\n`),
      output: 'array',
    });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const tensors = new Map<string, SafetensorsEntry & { data: Float32Array }>();
  tensors.set('prompt_embeds', embeddings.promptEmbeds);
  if (embeddings.negativePromptEmbeds) tensors.set('negative_prompt_embeds', embeddings.negativePromptEmbeds);
  tensors.set('pooled_prompt_embeds', embeddings.pooledPromptEmbeds!);
  if (embeddings.negativePooledPromptEmbeds) tensors.set('negative_pooled_prompt_embeds', embeddings.negativePooledPromptEmbeds);
  if (embeddings.textIds) tensors.set('text_ids', embeddings.textIds);
  const engines = `engine: ${pipe.encoder.engine}, ${pipe.encoder.backend}${pipe.t5Encoder ? `; T5: ${pipe.t5Encoder.engine}, ${pipe.t5Encoder.backend}` : '; no T5 (its part is zeros)'}`;
  if (run.outPath !== null) {
    await refuseInputAsOutput('--out', run.outPath, run.readPaths);
    try {
      await writeSafetensorsFile(run.outPath, tensors, { format: 'pt', producer: 'sdtext encode', model: pipe.kind });
    } catch (error) {
      throw new InputError(`--out ${String(values.out)}: ${(error as Error).message}`);
    }
    io.stdout(`wrote ${String(values.out)}: ${[...tensors].map(([name, t]) => `${name} [${t.shape.join(', ')}]`).join(', ')}\n${engines}\n`);
  } else {
    const body = [...tensors].map(([name, t]) => `'${name}': ${formatTensor(t.data, t.shape)}`).join(',\n ');
    io.stdout([`{${body}}`, '', ...[...tensors].map(([name, t]) => `${name}: [${t.shape.join(', ')}]`), engines].join('\n') + '\n');
  }
  return 0;
}

/** The encoder's outputs as float32 arrays, by their Hugging Face names. */
function outputTensors(outputs: EncodeOutputs): Map<string, SafetensorsEntry & { data: Float32Array }> {
  const named: [string, FloatTensor][] = [
    ['last_hidden_state', outputs.lastHiddenState],
    ['pooler_output', outputs.poolerOutput],
  ];
  if (outputs.hiddenStates) named.push(['hidden_states', stack(outputs.hiddenStates)]);
  if (outputs.textEmbeds) named.push(['text_embeds', outputs.textEmbeds]);
  return new Map(named.map(([name, t]) => [name, { shape: t.dims, data: t.data }]));
}

/** torch.stack of equally shaped tensors: [N, ...dims]. */
function stack(tensors: readonly FloatTensor[]): FloatTensor {
  const size = tensors[0]!.data.length;
  const data = new Float32Array(size * tensors.length);
  tensors.forEach((t, i) => data.set(t.data, i * size));
  return { data, dims: [tensors.length, ...tensors[0]!.dims] };
}

/** The seed's view: the inputs, then `pprint(outputs)` with PyTorch's tensor layout, then shapes and the engine. */
function formatOutputs(inputs: IdsInput, tensors: Map<string, SafetensorsEntry & { data: Float32Array }>, engine: TextEncoderEngine): string {
  const shape = [inputs.inputIds.length, inputs.inputIds[0]!.length];
  const lines = [`input_ids: ${formatTensor(inputs.inputIds.flat(), shape, { kind: 'int' })}`];
  if (inputs.attentionMask) lines.push(`attention_mask: ${formatTensor(inputs.attentionMask.flat(), shape, { kind: 'int' })}`);
  lines.push('');
  const body = [...tensors]
    .filter(([name]) => name !== 'hidden_states')
    .map(([name, t]) => `'${name}': ${formatTensor(t.data, t.shape)}`)
    .join(',\n ');
  lines.push(`{${body}}`, '');
  for (const [name, t] of tensors) lines.push(`${name}: [${t.shape.join(', ')}]`);
  lines.push(`engine: ${engine.engine}, ${engine.backend}`);
  return lines.join('\n') + '\n';
}

/** --dialect without --out: each embedding in PyTorch's layout, then shapes and the engine. */
function formatEmbeddings(tensors: Map<string, SafetensorsEntry & { data: Float32Array }>, engine: TextEncoderEngine): string {
  const body = [...tensors].map(([name, t]) => `'${name}': ${formatTensor(t.data, t.shape)}`).join(',\n ');
  const lines = [`{${body}}`, ''];
  for (const [name, t] of tensors) lines.push(`${name}: [${t.shape.join(', ')}]`);
  lines.push(`engine: ${engine.engine}, ${engine.backend}`);
  return lines.join('\n') + '\n';
}

/** The schedule's tensors by name: schedule.I.prompt_embeds.K, schedule.I.negative_prompt_embeds (and pooled ones, SDXL). */
function scheduleTensors(schedule: PromptSchedule<ArrayTensor>): Map<string, SafetensorsEntry & { data: Float32Array }> {
  const out = new Map<string, SafetensorsEntry & { data: Float32Array }>();
  schedule.schedule.forEach((entry, i) => {
    entry.parts.forEach((p, k) => {
      out.set(`schedule.${i}.prompt_embeds.${k}`, p.embeds);
      if (p.pooledEmbeds) out.set(`schedule.${i}.pooled_prompt_embeds.${k}`, p.pooledEmbeds);
    });
    if (entry.negativePromptEmbeds) out.set(`schedule.${i}.negative_prompt_embeds`, entry.negativePromptEmbeds);
    if (entry.negativePooledPromptEmbeds) out.set(`schedule.${i}.negative_pooled_prompt_embeds`, entry.negativePooledPromptEmbeds);
  });
  return out;
}

/** What the tensor names cannot say, as JSON for the file's metadata: each entry's last step, each part's prompt, weight and text. */
function scheduleMetadata(schedule: PromptSchedule<ArrayTensor>): string {
  return JSON.stringify(schedule.schedule.map((e) => ({ until_step: e.untilStep, parts: e.parts.map((p) => ({ prompt: p.prompt, weight: p.weight, text: p.text })) })));
}

function describeSchedule(schedule: PromptSchedule<ArrayTensor>): string {
  const lines = [`schedule: ${schedule.schedule.length} entr${schedule.schedule.length === 1 ? 'y' : 'ies'} (entry I conditions the sampler while its step, from 0, is at most until_step)`];
  schedule.schedule.forEach((e, i) => {
    lines.push(`  ${i}: until step ${e.untilStep}`);
    e.parts.forEach((p, k) => lines.push(`     prompt_embeds.${k} [${p.embeds.shape.join(', ')}] prompt ${p.prompt}, weight ${p.weight}: ${JSON.stringify(p.text)}`));
    if (e.negativePromptEmbeds) lines.push(`     negative_prompt_embeds [${e.negativePromptEmbeds.shape.join(', ')}]`);
  });
  return lines.join('\n') + '\n';
}

/** --embeddings must be a folder, and --out may not be written into it (it would replace an embedding). */
async function checkEmbeddingsDir(dir: string, given: string, outPath: string | null): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const stat = await fs.promises.stat(dir).catch(() => null);
  if (!stat?.isDirectory()) throw new InputError(`--embeddings ${given}: not a folder`);
  if (outPath !== null && !path.relative(dir, outPath).startsWith('..') && !path.isAbsolute(path.relative(dir, outPath))) {
    throw new InputError(`--out ${outPath} is inside --embeddings ${given}: it would be read as an embedding, or replace one`);
  }
}
