import type * as ort from 'onnxruntime-common';
import {
  EmbeddingCache,
  InputError,
  checkInputs,
  firstNonFinite,
  parseCLIPTextConfig,
  readFinalLayerNorm,
  readTextModelWeights,
  resolveModelFiles,
  selectRows,
  type CLIPTextConfig,
  type CheckedInputs,
  type EmbeddingCacheOptions,
  type EncodeInputs,
  type EncodeOutputs,
  type FinalLayerNorm,
  type FloatTensor,
  type ModelSource,
  type TextEncoderEngine,
} from '@sdtext/core';
import { checkpointSession, type LoadedFrom, type OnnxFromPretrainedOptions, type WeightTransfer } from './checkpoint-session.js';
import { createSession, type OnnxSessionOptions, type OrtSession } from './session.js';

export type { OnnxFromPretrainedOptions };

/**
 * EncodeInputs plus HF's `inputs_embeds`: [B, S, H] token embeddings used instead of the lookup
 * (the ids then only choose each row's pooled position). Such calls bypass the embedding cache.
 */
export interface InputsEmbedsInputs extends EncodeInputs {
  inputsEmbeds?: FloatTensor | null;
}

/** With `inputsEmbeds` the ids are not looked up, only pooled on: any non-negative int32 will do. */
const POOLING_ONLY_LIMITS = { vocab_size: 2 ** 31 } as const;

export interface OnnxModelOptions extends OnnxSessionOptions {
  /** The embedding cache's bounds, or false to keep nothing. Default: 256 rows, 256 MiB. */
  cache?: EmbeddingCacheOptions | false;
}

export interface OnnxFromFileOptions extends OnnxModelOptions {
  /** Folder inside the source holding the file, e.g. "text_encoder" or "onnx". */
  subfolder?: string;
  /** The model file's name (default "model.onnx"). */
  file?: string;
  /** The text config; default: config.json beside the model file. Needed to check ids and lengths. */
  config?: CLIPTextConfig;
}

function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/**
 * The CLIP text model on ONNX Runtime. `fromPretrained` builds the graph in TypeScript from a
 * Hugging Face safetensors checkpoint (contrib-op fused; weights handed to ORT in memory, never
 * serialized); `fromOnnx` runs an exported model.onnx (inputs input_ids [+ attention_mask],
 * int64 or int32; outputs last_hidden_state, pooler_output [, text_embeds]).
 */
export class OnnxCLIPTextModel implements TextEncoderEngine {
  readonly engine = 'onnx';
  readonly backend: string;
  readonly withProjection: boolean;
  /** Whether the graph outputs hidden_states.0 .. hidden_states.<layers>. */
  readonly hasHiddenStates: boolean;
  /** Whether the graph outputs attentions.0 .. attentions.<layers - 1> (graphs built from a checkpoint do). */
  readonly hasAttentions: boolean;
  /** Whether the graph takes `inputs_embeds` (with its mask) and outputs `token_embeddings` (graphs built from a checkpoint do). */
  readonly hasInputsEmbeds: boolean;
  /** The embedding cache (hits, misses and size are visible for tests and stats). */
  readonly cache: EmbeddingCache;
  /** 'q8' when built with quantized Linear weights (OnnxFromPretrainedOptions.dtype), else 'fp32'. */
  dtype: 'fp32' | 'q8' = 'fp32';
  private readonly idsType: 'int64' | 'int32';
  private readonly hasMaskInput: boolean;
  private disposed = false;
  private finalNorm: Promise<FinalLayerNorm> | null = null;

  private constructor(
    private readonly ort: OrtSession,
    readonly config: CLIPTextConfig,
    cache: EmbeddingCacheOptions | false | undefined,
    /** 'checkpoint' (built from safetensors now), 'compiled-cache' (a built entry reused) or 'onnx-file'. */
    readonly loadedFrom: LoadedFrom,
    /** How the weights reached ORT when built from a checkpoint (see OnnxFromPretrainedOptions.weightTransfer). */
    readonly weightTransfer: WeightTransfer | undefined,
    /** Reads final_layer_norm's weights when clip skip first needs them; null for exported graphs. */
    private readonly loadFinalNorm: (() => Promise<FinalLayerNorm>) | null,
    /**
     * Reads the checkpoint through @sdtext/core's checked loader, which names a NaN/Inf weight.
     * For sessions whose weights JavaScript never read (ORT maps the files): run only when an
     * output is not finite, so loading stays as fast as the mapping.
     */
    private readonly checkWeights: (() => Promise<void>) | null = null,
  ) {
    const { session } = ort;
    this.backend = ort.backend;
    this.withProjection = session.outputNames.includes('text_embeds');
    this.hasHiddenStates = session.outputNames.includes('hidden_states.0');
    this.hasAttentions = session.outputNames.includes('attentions.0');
    this.hasInputsEmbeds = session.inputNames.includes('inputs_embeds');
    this.hasMaskInput = session.inputNames.includes('attention_mask');
    const idsMeta = session.inputMetadata.find((m) => m.name === 'input_ids');
    if (!idsMeta || !session.outputNames.includes('last_hidden_state')) {
      throw new Error(`not a CLIP text model graph: inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]`);
    }
    this.idsType = idsMeta.isTensor && idsMeta.type === 'int32' ? 'int32' : 'int64';
    this.cache = new EmbeddingCache(cache === false ? { maxEntries: 0 } : cache);
  }

  /**
   * Loads `config.json` and `model.safetensors` (or shards, or a variant) from a folder (Node), a
   * base URL or a FileSource, exactly as CLIPTextModel.fromPretrained does, and builds the graph.
   */
  static async fromPretrained(source: ModelSource, options: OnnxFromPretrainedOptions = {}): Promise<OnnxCLIPTextModel> {
    const { session, config, loadedFrom, weightTransfer } = await checkpointSession(source, options);
    const files = () => resolveModelFiles(source, options.subfolder ?? '', options.fetch);
    // Lazily: clip skip is rare, and for a URL or FileSource the read is a second pass over the file.
    const loadFinalNorm = (): Promise<FinalLayerNorm> => readFinalLayerNorm(files(), options, config);
    const checkWeights = weightTransfer === 'temp-folder' || weightTransfer === 'memory' ? null : async () => void (await readTextModelWeights(files(), options));
    const model = new OnnxCLIPTextModel(session, config, options.cache, loadedFrom, weightTransfer, loadFinalNorm, checkWeights);
    if (options.dtype === 'q8') model.dtype = 'q8';
    return model;
  }

  /** Runs an exported ONNX file (Optimum's, torch.onnx's, or exportStandardOnnx's). */
  static async fromOnnx(source: ModelSource, options: OnnxFromFileOptions = {}): Promise<OnnxCLIPTextModel> {
    const files = resolveModelFiles(source, options.subfolder ?? '', undefined);
    let config = options.config;
    if (!config) {
      const text = await files.readText('config.json');
      if (text === null) throw new Error(`${files.name}: no config.json beside the ONNX file; pass options.config`);
      config = parseCLIPTextConfig(text, `${files.name}/config.json`);
    }
    const file = options.file ?? 'model.onnx';
    let model: Uint8Array | string;
    if (typeof source === 'string' && !/^https?:\/\//i.test(source) && (options.runtime ?? 'node') === 'node') {
      model = joinPath(source.replace(/\/+$/, ''), options.subfolder ?? '', file); // ORT reads the file itself
    } else {
      const reader = await files.openBytes(file);
      if (!reader) throw new Error(`${files.name}: no ${file}`);
      try {
        if (reader.size === null) throw new Error(`${files.name}/${file}: size unknown`);
        model = await reader.read(0, reader.size);
      } finally {
        await reader.close();
      }
    }
    const session = await createSession(model, [], options);
    return new OnnxCLIPTextModel(session, config, options.cache, 'onnx-file', undefined, null);
  }

  async encode({ inputIds, attentionMask, outputHiddenStates = false, outputAttentions = false, inputsEmbeds = null }: InputsEmbedsInputs): Promise<EncodeOutputs> {
    if (this.disposed) throw new Error('OnnxCLIPTextModel: used after dispose()');
    if (inputsEmbeds) {
      this.requireInputsEmbeds('inputsEmbeds');
      const inputs = checkInputs({ ...this.config, ...POOLING_ONLY_LIMITS }, inputIds, attentionMask);
      const embeds = checkEmbeds(inputsEmbeds, inputs.batch, inputs.seqLen, this.config.hidden_size);
      // Rows are cached by their ids: given embeddings are not part of the key, so these run as they are.
      const outputs = await this.run(inputs, outputHiddenStates, outputAttentions, embeds);
      await this.checkFinite(outputs);
      return outputs;
    }
    if (outputHiddenStates && !this.hasHiddenStates) {
      throw new Error('this ONNX graph has no hidden_states outputs; load the safetensors checkpoint with fromPretrained for clip skip');
    }
    if (outputAttentions && !this.hasAttentions) {
      throw new Error('this ONNX graph has no attentions outputs; load the safetensors checkpoint with fromPretrained for outputAttentions');
    }
    const inputs = checkInputs(this.config, inputIds, attentionMask);
    return this.cache.encode(inputs.rowKeys, { hiddenStates: outputHiddenStates, attentions: outputAttentions }, async (rows) => {
      const outputs = await this.run(selectRows(inputs, rows), outputHiddenStates, outputAttentions);
      await this.checkFinite(outputs);
      return outputs;
    });
  }

  /** A NaN/Inf output means a broken weight: name it (mapped checkpoints are read only now), never return it silently. */
  private async checkFinite(outputs: EncodeOutputs): Promise<void> {
    const bad = firstNonFinite(outputs.lastHiddenState.data);
    if (bad < 0) return;
    await this.checkWeights?.(); // throws the CheckpointError naming the tensor
    const [, seqLen = 1, hidden = 1] = outputs.lastHiddenState.dims;
    throw new Error(
      `the model output ${outputs.lastHiddenState.data[bad]} at row ${Math.floor(bad / (seqLen * hidden))}, position ${Math.floor(bad / hidden) % seqLen}: ` +
        'its weights or graph are broken (exported graphs are not checked at load); re-export or load the safetensors checkpoint',
    );
  }

  /** The token embeddings of ids [B, S] (HF's `get_input_embeddings()(input_ids)`): [B, S, H], for `inputsEmbeds`. */
  async embedTokens(inputIds: EncodeInputs['inputIds']): Promise<FloatTensor> {
    if (this.disposed) throw new Error('OnnxCLIPTextModel: used after dispose()');
    this.requireInputsEmbeds('embedTokens');
    const inputs = checkInputs(this.config, inputIds);
    const result = await this.ort.session.run(this.feeds(inputs, null), ['token_embeddings']);
    const t = result['token_embeddings']!;
    return { data: t.data as Float32Array, dims: [...t.dims] };
  }

  private requireInputsEmbeds(what: string): void {
    if (!this.hasInputsEmbeds) throw new Error(`this ONNX graph takes no inputs_embeds (${what}); load the safetensors checkpoint with fromPretrained`);
  }

  private feeds(inputs: CheckedInputs, embeds: Float32Array | null): Record<string, ort.Tensor> {
    const { Tensor } = this.ort.runtime.ort;
    const dims = [inputs.batch, inputs.seqLen];
    const asInput = (v: Int32Array): ort.Tensor =>
      this.idsType === 'int32' ? new Tensor('int32', v, dims) : new Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), dims);
    const feeds: Record<string, ort.Tensor> = { input_ids: asInput(inputs.ids) };
    if (this.hasMaskInput) feeds['attention_mask'] = asInput(inputs.mask);
    if (this.hasInputsEmbeds) {
      const H = this.config.hidden_size;
      feeds['inputs_embeds'] = embeds ? new Tensor('float32', embeds, [...dims, H]) : new Tensor('float32', new Float32Array(H), [1, 1, H]);
      feeds['inputs_embeds_mask'] = embeds ? new Tensor('float32', new Float32Array(inputs.batch * inputs.seqLen).fill(1), [...dims, 1]) : new Tensor('float32', new Float32Array(1), [1, 1, 1]);
    }
    return feeds;
  }

  private async run(inputs: CheckedInputs, outputHiddenStates: boolean, outputAttentions: boolean, embeds: Float32Array | null = null): Promise<EncodeOutputs> {
    const feeds = this.feeds(inputs, embeds);
    const L = this.config.num_hidden_layers;
    const fetches = ['last_hidden_state', 'pooler_output'];
    if (this.withProjection) fetches.push('text_embeds');
    if (outputHiddenStates) for (let i = 0; i <= L; i++) fetches.push(`hidden_states.${i}`);
    if (outputAttentions) for (let i = 0; i < L; i++) fetches.push(`attentions.${i}`);

    const result = await this.ort.session.run(feeds, fetches);
    const take = (name: string): FloatTensor => {
      const t = result[name];
      if (!t) throw new Error(`the session returned no ${name}`);
      return { data: t.data as Float32Array, dims: [...t.dims] };
    };
    const outputs: EncodeOutputs = { lastHiddenState: take('last_hidden_state'), poolerOutput: take('pooler_output') };
    if (this.withProjection) outputs.textEmbeds = take('text_embeds');
    if (outputHiddenStates) outputs.hiddenStates = Array.from({ length: L + 1 }, (_, i) => take(`hidden_states.${i}`));
    if (outputAttentions) outputs.attentions = Array.from({ length: L }, (_, i) => take(`attentions.${i}`));
    return outputs;
  }

  async finalLayerNorm(x: FloatTensor): Promise<FloatTensor> {
    if (this.disposed) throw new Error('OnnxCLIPTextModel: used after dispose()');
    if (!this.loadFinalNorm) {
      throw new Error('an exported ONNX graph carries no final_layer_norm weights; load the safetensors checkpoint with fromPretrained for clip skip');
    }
    this.finalNorm ??= this.loadFinalNorm().catch((e: unknown) => {
      this.finalNorm = null; // let a later call try again
      throw e;
    });
    return (await this.finalNorm).forward(x);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.cache.clear();
    await this.ort.session.release();
  }
}

/** `inputsEmbeds` as float32 data [B * S * H], checked against the ids' shape and the model width. */
function checkEmbeds(embeds: FloatTensor, batch: number, seqLen: number, hidden: number): Float32Array {
  const { dims, data } = embeds;
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== seqLen || dims[2] !== hidden) {
    throw new InputError(`inputsEmbeds has shape [${dims.join(', ')}], but the ids and the model need [${batch}, ${seqLen}, ${hidden}]`);
  }
  if (!(data instanceof Float32Array) || data.length !== batch * seqLen * hidden) throw new InputError('inputsEmbeds must be float32 data of its shape');
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`inputsEmbeds[${Math.floor(bad / (seqLen * hidden))}][${Math.floor(bad / hidden) % seqLen}] holds ${data[bad]}`);
  return data;
}
