import * as tf from '@tensorflow/tfjs-core';
import { ENGINE_CHOICES, PROMPT_DIALECTS, type EngineChoice, type PromptDialect } from '@sdtext/pipeline';
import type { BackendName } from '@sdtext/text-encoder';
import { InputError, UsageError, type CliIO, type Command } from '../command.js';
import { parseClipSkip } from '../clip-skip-option.js';
import { encodeRows } from '../embed/encode-rows.js';
import { jobSlice, ownsShard } from '../embed/job-slice.js';
import { countPrompts, formatOf, readPrompts, type PromptRow } from '../embed/prompt-stream.js';
import { PromptProgress } from '../embed/prompt-progress.js';
import { shardIsDone, shardName, writeShard, type EmbedSettings } from '../embed/shard-files.js';
import { parseOptions, parsePositiveInteger } from '../parse-options.js';
import { ProgressReporter } from '../progress.js';
import { commandInputs, loadTextPipeline, parseDtype } from '../text-model-source.js';

const USAGE = `sdtext embed --input CAPTIONS --model REPO_OR_FOLDER --out FOLDER [options]

Embeds many prompts (training captions, a prompt log): streams them from a file, encodes each
distinct prompt once, and writes shards of --shard-size rows to FOLDER as
shard-NNNNN.safetensors with an index shard-NNNNN.json (row -> line and prompt). Run it again
after a kill and it resumes: finished shards are kept, the rest redone.

  --input FILE                .txt (a prompt per line), .jsonl (a JSON string, or an object with a
                              prompt / caption / text field, per line) or .csv (a header row; the
                              prompt, caption or text column)
  --format txt|jsonl|csv      when the file name does not tell
  --field NAME                the JSON field or CSV column holding the prompt
  --model REPO_OR_FOLDER      as for sdtext encode (hub id, Stable Diffusion folder, single file)
  --out FOLDER                where the shards go (made if missing)
  --output embeds|pooled      embeds (default): diffusers' prompt_embeds [N, 77, H] (SDXL also
                              pooled_prompt_embeds); pooled: pooler_output / text_embeds only
                              ([N, H]), padded per batch to its longest prompt (same numbers)
  --dialect a1111|comfy|compel  the prompts are in that front end's syntax: one tensor per row
                              (prompt_embeds.<row>, [1, 77 x chunks, H]), as sdtext encode --dialect
  --clip-skip N               as for sdtext encode: diffusers' numbering for plain prompts and
                              compel, webui's Clip skip with --dialect a1111, CLIPSetLastLayer
                              (--clip-skip=-2) with --dialect comfy
  --shard-size N              rows per shard (default 1000)
  --batch-size N              prompts per encoder call (default 16)
  --shard I/N                 this job's part when N jobs share the input (0-based): shard k goes
                              to job k mod N. Without it: JOB_COMPLETION_INDEX + JOB_COMPLETION_COUNT
                              (Kubernetes Indexed Job), or SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT
                              (Slurm array), else the whole input. All jobs may share one --out.
  --engine tfjs|onnx|auto     as for sdtext encode (default auto: ONNX Runtime where it runs)
  --backend cpu|wasm          the tfjs engine's backend (default: wasm)
  --dtype fp32|q8             q8: int8 weights on the onnx engine (faster, not exact); default fp32
  --revision R, --variant V   hub revision and weights variant

Environment: HF_TOKEN, HF_ENDPOINT, HF_HOME / HF_HUB_CACHE, HF_HUB_OFFLINE=1, as Python's huggingface_hub.`;

export const embedCommand: Command = {
  name: 'embed',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      input: { type: 'string' },
      format: { type: 'string' },
      field: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      output: { type: 'string' },
      dialect: { type: 'string' },
      'clip-skip': { type: 'string' },
      'shard-size': { type: 'string' },
      'batch-size': { type: 'string' },
      shard: { type: 'string' },
      engine: { type: 'string' },
      backend: { type: 'string' },
      revision: { type: 'string' },
      variant: { type: 'string' },
      dtype: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`prompts come from --input FILE, not the command line (got ${JSON.stringify(positionals[0])})`);
    if (values.input === undefined) throw new UsageError('--input FILE is required');
    if (values.model === undefined) throw new UsageError('--model REPO_OR_FOLDER is required');
    if (values.out === undefined) throw new UsageError('--out FOLDER is required');
    const output = values.output ?? 'embeds';
    if (output !== 'embeds' && output !== 'pooled') throw new UsageError(`--output must be embeds or pooled, got "${output}"`);
    const dialect = (values.dialect ?? null) as PromptDialect | null;
    if (dialect !== null && !PROMPT_DIALECTS.includes(dialect)) throw new UsageError(`--dialect must be ${PROMPT_DIALECTS.join(', ')}, got "${values.dialect}"`);
    if (dialect !== null && output === 'pooled') throw new UsageError('--output pooled reads plain prompts; --dialect conditions whole embeddings: use one or the other');
    const clipSkip = parseClipSkip(values['clip-skip'], dialect); // undefined: the model's default (no skip)
    if (output === 'pooled' && values['clip-skip'] !== undefined) throw new UsageError('--clip-skip changes prompt_embeds; --output pooled has none');
    const shardSize = parsePositiveInteger(values['shard-size'], '--shard-size') ?? 1000;
    const batchSize = parsePositiveInteger(values['batch-size'], '--batch-size') ?? 16;
    const engine = (values.engine ?? 'auto') as EngineChoice;
    if (!ENGINE_CHOICES.includes(engine)) throw new UsageError(`--engine must be ${ENGINE_CHOICES.join(', ')}, got "${values.engine}"`);
    const backend = (values.backend ?? 'wasm') as BackendName;
    if (backend !== 'cpu' && backend !== 'wasm') throw new UsageError(`--backend must be cpu or wasm, got "${values.backend}"`);
    const slice = jobSlice(values.shard, io.env);
    const dtype = parseDtype(values.dtype); // checked with the other options, before any file is read

    const { mkdir, realpath, stat } = await import('node:fs/promises');
    const { basename, dirname, join, resolve, sep } = await import('node:path');
    const input = resolve(io.cwd, values.input);
    const format = formatOf(input, values.format);
    const out = resolve(io.cwd, values.out);
    // The shards may not land among what is read (the model folder; the captions' own folder is fine).
    let outReal = out;
    for (let missing = ''; ; ) {
      const real = await realpath(outReal).catch(() => null);
      if (real !== null) {
        outReal = missing === '' ? real : join(real, missing);
        break;
      }
      missing = missing === '' ? basename(outReal) : join(basename(outReal), missing);
      outReal = dirname(outReal);
    }
    for (const read of await commandInputs(values.model, io, {})) {
      const readReal = await realpath(read).catch(() => null);
      if (readReal !== null && (outReal === readReal || outReal.startsWith(readReal + sep))) {
        throw new InputError(`--out ${out} is inside the model (${read}): write the shards somewhere else`);
      }
    }
    const outStat = await stat(out).catch(() => null);
    if (outStat !== null && !outStat.isDirectory()) {
      throw new UsageError(`--out ${out} is ${outReal === (await realpath(input).catch(() => null)) ? 'the --input file' : 'a file'}: embed writes a folder of shards`);
    }
    await mkdir(out, { recursive: true });

    const total = await countPrompts(input, format, values.field).catch((error: unknown) => {
      throw error instanceof InputError ? error : new InputError(`--input ${input}: ${(error as Error).message}`);
    });
    const shards = Math.ceil(total / shardSize);
    let mine = 0;
    for (let k = 0; k < shards; k++) if (ownsShard(slice, k)) mine += Math.min(shardSize, total - k * shardSize);
    io.stderr(`${total} prompts in ${shards} shards of ${shardSize}; this job (${slice.source}) has ${mine} prompts\n`);

    tf.env().set('PROD', true);
    const loading = new ProgressReporter(io);
    const pipe = await loadTextPipeline(values.model, io, {
      engine,
      backend,
      ...(dtype !== undefined ? { dtype } : {}),
      onProgress: (p) => loading.update(p),
      ...(values.revision !== undefined ? { revision: values.revision } : {}),
      ...(values.variant !== undefined ? { variant: values.variant } : {}),
    });
    loading.finish();
    if (pipe.encoder.fallbackReason !== undefined) io.stderr(`note: --engine auto runs on ${pipe.encoder.backend}: ONNX Runtime cannot run here (${pipe.encoder.fallbackReason})\n`);

    const settings: EmbedSettings = { model: values.model, output, dialect, clipSkip: clipSkip ?? null, shardSize, dtype: dtype ?? 'fp32' };
    const progress = new PromptProgress(io, mine);
    let skippedShards = 0;
    let writtenShards = 0;
    let truncatedRows = 0;
    try {
      const flush = async (shard: number, rows: PromptRow[]): Promise<void> => {
        if (await shardIsDone(out, shard, rows, settings)) {
          skippedShards++;
          progress.shard(shardName(shard), rows.length, true);
          return;
        }
        let encoded;
        try {
          encoded = await encodeRows(pipe, rows.map((r) => r.prompt), rows.map((r) => r.row), { output, dialect, clipSkip, batchSize });
        } catch (error) {
          throw new InputError(`${shardName(shard)} (rows ${rows[0]!.row}-${rows.at(-1)!.row}, lines ${rows[0]!.line}-${rows.at(-1)!.line} of ${input}): ${(error as Error).message}`);
        }
        const truncated = [...encoded.truncated].map(([i, removedText]) => ({ row: rows[i]!.row, removedText }));
        truncatedRows += truncated.length;
        await writeShard(out, shard, encoded.tensors, { settings, rows, distinct: encoded.distinct, truncated });
        writtenShards++;
        progress.shard(shardName(shard), rows.length, false);
      };

      let current: PromptRow[] = [];
      let currentShard = 0;
      for await (const row of readPrompts(input, format, values.field)) {
        const shard = Math.floor(row.row / shardSize);
        if (shard !== currentShard) {
          if (ownsShard(slice, currentShard) && current.length > 0) await flush(currentShard, current);
          current = [];
          currentShard = shard;
        }
        if (ownsShard(slice, shard)) current.push(row);
      }
      if (ownsShard(slice, currentShard) && current.length > 0) await flush(currentShard, current);
    } finally {
      await pipe.dispose();
    }
    const { encoded, seconds } = progress.finish();
    const rate = seconds > 0 ? (encoded / seconds).toFixed(1) : '-';
    io.stderr(
      `${writtenShards} shards written, ${skippedShards} already done; ${encoded} prompts in ${seconds.toFixed(1)} s (${rate} prompts/s)` +
        (truncatedRows > 0 ? `; ${truncatedRows} prompts were longer than the encoder's 77 tokens and cut (see "truncated" in the shard indexes)` : '') +
        '\n',
    );
    io.stdout(`${out}\n`);
    return 0;
  },
};
