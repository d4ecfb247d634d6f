import type * as ort from 'onnxruntime-common';
import { EmbeddingCache, checkInputs, firstNonFinite, resolveModelFiles, selectRows, type CheckedInputs, type EmbeddingCacheOptions, type FloatTensor, type ModelSource } from '@sdtext/core';
import { openT5EncoderCheckpoint, type CheckedT5Checkpoint, type T5CheckpointOptions, type T5Config, type T5EncodeInputs, type T5EncodeOutputs, type T5EncoderEngine } from '@sdtext/core/t5';
import { LinkUnavailableError } from '../linked-folder.js';
import { collectGarbage, writeModelFolder } from '../model-folder.js';
import { concatChunks } from '../onnx/proto-writer.js';
import { defaultRuntime } from '../runtime.js';
import type { OnnxSessionOptions, OrtSession } from '../session.js';
import { checkQ8Dtype } from '../graph/quantize-q8.js';
import { buildT5EncoderGraph } from './t5-encoder-graph.js';
import type { T5GraphWeights } from './t5-graph-weights.js';
import { createT5Session } from './t5-session.js';
import { isT5Q8Linear, linkable, linkedWeights, memoryWeights, writtenWeights } from './t5-weight-transfer.js';

/** How the weights reach ONNX Runtime (see OnnxT5Options.weightTransfer). */
export type T5WeightTransfer = 'link' | 'temp-folder' | 'memory';

export interface OnnxT5Options extends T5CheckpointOptions, OnnxSessionOptions {
  /** Folder inside the source, e.g. "text_encoder_3" (SD3) or "text_encoder_2" (Flux). */
  subfolder?: string;
  /** fetch for URL sources (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * - 'link' (default for a local folder, Node): the graph points at the checkpoint's own bytes
   *   (hard links in a temporary folder), in their stored dtype; nothing is read in JavaScript and
   *   16-bit weights stay 16-bit (ORT casts per node). A T5-XXL bf16 file of 9.5 GB runs in about
   *   that much memory. F8 files cannot be mapped as stored: they go 'temp-folder'.
   * - 'temp-folder': core reads the weights (checked finite; F8 as exact F16) and writes them
   *   16-bit to a temporary folder ORT maps (URLs, FileSources, F8 files, or where linking fails).
   * - 'memory': in-memory external data (onnxruntime-web always; the binding copies it).
   */
  weightTransfer?: T5WeightTransfer;
  /** Where temporary folders go (default: os.tmpdir()); for 'link', on the checkpoint's filesystem. */
  tempDir?: string;
  /**
   * 'stored' (default): weights stay in the file's dtype in memory and ORT casts each to float32
   * when a pass uses it (a 16-bit checkpoint costs its own size). 'float32': ORT converts them
   * once at load (constant folding) and prepacks them: faster passes, twice the memory of a
   * 16-bit file. Outputs are the same either way (the cast is exact).
   */
  weightsInMemory?: 'stored' | 'float32';
  /** encode()'s per-row embedding cache: its bounds, or false for none. */
  cache?: EmbeddingCacheOptions | false;
  /**
   * 'fp32' (default): the exact model. 'q8': opt in to speed over exactness (see the README):
   * every encoder block's Linear weights (q, k, v, o, wi / wi_0 / wi_1, wo) become int8 per output
   * channel at load, activations are quantized per call (ONNX Runtime's DynamicQuantizeMatMul,
   * integer GEMMs); the embedding, layer norms and relative attention bias stay as stored. Weights
   * are then read in JavaScript, one at a time (no 'link': 'temp-folder', or 'memory');
   * outputs differ from the model's.
   */
  dtype?: 'fp32' | 'q8';
}

const isLocalFolder = (source: ModelSource): source is string => typeof source === 'string' && !/^https?:\/\//i.test(source);
const joinPath = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

async function makeTempDir(parent: string | undefined, prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = await fs.promises.mkdtemp(path.join(parent ?? os.tmpdir(), prefix));
  return { dir, remove: () => fs.promises.rm(dir, { recursive: true, force: true }) };
}

/** A session over `weights` written beside the graph in `dir` (Node): ORT maps the files. */
async function folderSession(dir: string, weights: T5GraphWeights, options: OnnxT5Options): Promise<OrtSession> {
  const graph = buildT5EncoderGraph(weights);
  const modelPath = await writeModelFolder(dir, graph.chunks, []);
  await collectGarbage(); // whatever JavaScript read is garbage now; free it before ORT maps its own
  return createT5Session(modelPath, [], options);
}

async function openSession(opened: CheckedT5Checkpoint, source: ModelSource, options: OnnxT5Options): Promise<{ ort: OrtSession; weightTransfer: T5WeightTransfer }> {
  const runtime = options.runtime ?? defaultRuntime();
  const sessionOptions = { ...options, runtime };
  // Quantized weights are made from the stored ones in JavaScript: never mapped as stored.
  const quantize = checkQ8Dtype(options.dtype) === 'q8' ? isT5Q8Linear : null;
  let transfer: T5WeightTransfer = runtime === 'web' ? 'memory' : (options.weightTransfer ?? 'link');
  if (transfer === 'link' && (!isLocalFolder(source) || !linkable(opened) || quantize !== null)) transfer = 'temp-folder';
  if (transfer === 'memory') {
    const weights = await memoryWeights(opened, quantize);
    const graph = buildT5EncoderGraph(weights);
    return { ort: await createT5Session(concatChunks(graph.chunks, graph.byteLength), weights.files, sessionOptions), weightTransfer: 'memory' };
  }
  if (transfer === 'link' && isLocalFolder(source)) {
    const temp = await makeTempDir(options.tempDir, 'sdtext-t5-link-');
    try {
      const weights = await linkedWeights(opened, joinPath(source, options.subfolder ?? ''), temp.dir);
      const session = await folderSession(temp.dir, weights, sessionOptions);
      for (const shard of opened.checkpoint.shards) {
        const size = shard.header.dataStart + (shard.header.tensors.at(-1)?.dataOffsets[1] ?? 0);
        options.onProgress?.({ file: shard.reader.name, loaded: size, total: size }); // ORT read them
      }
      return { ort: session, weightTransfer: 'link' };
    } catch (e) {
      if (!(e instanceof LinkUnavailableError)) throw e; // else read the weights ourselves, below
    } finally {
      await temp.remove(); // ORT has mapped what it keeps
    }
  }
  const temp = await makeTempDir(options.tempDir, 'sdtext-t5-build-');
  try {
    return { ort: await folderSession(temp.dir, await writtenWeights(opened, temp.dir, quantize), sessionOptions), weightTransfer: 'temp-folder' };
  } finally {
    await temp.remove();
  }
}

/**
 * HF's T5EncoderModel on ONNX Runtime (onnxruntime-node, or -web's wasm / WebGPU): the graph is
 * built in TypeScript from config.json and the checkpoint (see buildT5EncoderGraph), weights kept
 * in their stored 16 bits and cast per node, computed in float32. Implements @sdtext/core's
 * T5EncoderEngine, as the tfjs T5EncoderModel does.
 */
export class OnnxT5EncoderModel implements T5EncoderEngine {
  readonly engine = 'onnx';
  readonly backend: string;
  readonly cache: EmbeddingCache;
  private disposed = false;

  private constructor(
    private readonly ort: OrtSession,
    readonly config: T5Config,
    /** How the weights reached ORT. */
    readonly weightTransfer: T5WeightTransfer,
    cache: EmbeddingCacheOptions | false | undefined,
    /** Reads the checkpoint through core's checked stream (which names a NaN weight): for mapped weights, run only when an output is not finite. */
    private readonly checkWeights: (() => Promise<void>) | null,
    /** 'q8' when built with quantized Linear weights (OnnxT5Options.dtype), else 'fp32'. */
    readonly dtype: 'fp32' | 'q8',
  ) {
    this.backend = ort.backend;
    this.cache = new EmbeddingCache(cache === false ? { maxEntries: 0 } : cache);
  }

  /**
   * Loads `config.json` and `model[.variant].safetensors` (or its shards), or a lone file (`file`:
   * ComfyUI's t5xxl_*.safetensors, config off the shapes, scaled fp8 dequantized), from a folder
   * (Node), a base URL or a FileSource, checked strictly by @sdtext/core before anything is built.
   */
  static async fromPretrained(source: ModelSource, options: OnnxT5Options = {}): Promise<OnnxT5EncoderModel> {
    const dtype = checkQ8Dtype(options.dtype); // before anything is read
    const files = (): ReturnType<typeof resolveModelFiles> => resolveModelFiles(source, options.subfolder ?? '', options.fetch);
    const opened = await openT5EncoderCheckpoint(files(), options);
    let session: { ort: OrtSession; weightTransfer: T5WeightTransfer };
    try {
      session = await openSession(opened, source, options);
    } finally {
      await opened.checkpoint.close();
    }
    const checkWeights =
      session.weightTransfer === 'link'
        ? async (): Promise<void> => {
            const again = await openT5EncoderCheckpoint(files(), options);
            try {
              for await (const weight of again.weights()) void weight; // throws the CheckpointError naming a non-finite weight
            } finally {
              await again.checkpoint.close();
            }
          }
        : null;
    return new OnnxT5EncoderModel(session.ort, opened.config, session.weightTransfer, options.cache, checkWeights, dtype);
  }

  async encode({ inputIds, attentionMask, outputHiddenStates = false }: T5EncodeInputs): Promise<T5EncodeOutputs> {
    if (this.disposed) throw new Error('OnnxT5EncoderModel: used after dispose()');
    const inputs = checkInputs(this.config, inputIds, attentionMask);
    return this.cache.encode(inputs.rowKeys, { hiddenStates: outputHiddenStates }, async (rows) => {
      const outputs = await this.run(selectRows(inputs, rows), outputHiddenStates);
      await this.checkFinite(outputs.lastHiddenState);
      return outputs;
    });
  }

  /** A NaN/Inf output means a broken weight: name it (mapped checkpoints are read only now), never return it silently. */
  private async checkFinite(out: FloatTensor): Promise<void> {
    const bad = firstNonFinite(out.data);
    if (bad < 0) return;
    await this.checkWeights?.();
    const [, seqLen = 1, width = 1] = out.dims;
    throw new Error(`the T5 encoder output ${out.data[bad]} at row ${Math.floor(bad / (seqLen * width))}, position ${Math.floor(bad / width) % seqLen}: its weights or graph are broken`);
  }

  private async run(inputs: CheckedInputs, outputHiddenStates: boolean): Promise<T5EncodeOutputs> {
    const { Tensor } = this.ort.runtime.ort;
    const dims = [inputs.batch, inputs.seqLen];
    const int64 = (v: Int32Array): ort.Tensor => new Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), dims);
    // No mask given: all ones, which is what HF's T5Stack makes (its extended mask adds zeros).
    const feeds = { input_ids: int64(inputs.ids), attention_mask: int64(inputs.mask) };
    const L = this.config.num_layers;
    const fetches = ['last_hidden_state', ...(outputHiddenStates ? Array.from({ length: L + 1 }, (_, i) => `hidden_states.${i}`) : [])];
    const result = await this.ort.session.run(feeds, fetches);
    const take = (name: string): FloatTensor => {
      const t = result[name];
      if (!t) throw new Error(`the session returned no ${name}`);
      return { data: t.data as Float32Array, dims: [...t.dims] };
    };
    return { lastHiddenState: take('last_hidden_state'), ...(outputHiddenStates ? { hiddenStates: Array.from({ length: L + 1 }, (_, i) => take(`hidden_states.${i}`)) } : {}) };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.cache.clear();
    await this.ort.session.release();
  }
}
