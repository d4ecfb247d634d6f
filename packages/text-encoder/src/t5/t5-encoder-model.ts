import * as tf from '@tensorflow/tfjs-core';
import { EmbeddingCache, checkInputs, selectRows, type EmbeddingCacheOptions, type FloatTensor, type ModelSource } from '@sdtext/core';
import type { T5Config, T5EncodeInputs, T5EncodeOutputs, T5EncoderEngine } from '@sdtext/core/t5';
import type { AttentionMask, TokenIds } from '../inputs.js';
import { Embedding } from '../modules/embedding.js';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';
import { extendedAttentionMask, prepareT5Inputs } from './inputs.js';
import { loadT5Pretrained, type T5FromPretrainedOptions } from './load-t5.js';
import { T5Stack } from './t5-stack.js';

export interface T5EncoderInputs {
  /** [B, S] token ids (int32 tensor or rows of numbers); any S (positions are relative). */
  inputIds: TokenIds;
  /** [B, S], 1 = attend, 0 = padding. */
  attentionMask?: AttentionMask | null;
  /** Also return HF's hidden_states (num_layers + 1; the last is lastHiddenState). */
  outputHiddenStates?: boolean;
}

export interface T5EncoderOutputs {
  /** [B, S, d_model], after the encoder's final_layer_norm. */
  lastHiddenState: tf.Tensor3D;
  /** num_layers + 1 tensors [B, S, d_model]: each block's input, then the final norm's output. */
  hiddenStates?: tf.Tensor3D[];
}

export interface T5EncoderModelOptions extends T5FromPretrainedOptions {
  /** encode()'s per-row embedding cache: its bounds, or false for none. */
  cache?: EmbeddingCacheOptions | false;
}

async function plain(t: tf.Tensor): Promise<FloatTensor> {
  return { data: (await t.data()) as Float32Array, dims: [...t.shape] };
}

/**
 * HF's T5EncoderModel on tfjs: `shared` (the token embedding) and the encoder T5Stack, under
 * Hugging Face's keys (`shared.weight`, `encoder.block.N.layer.M...`). `forward` takes and returns
 * tensors; `encode` is @sdtext/core's T5EncoderEngine (plain arrays, a per-row cache), as
 * OnnxT5EncoderModel in @sdtext/onnx/t5.
 */
export class T5EncoderModel extends Module implements T5EncoderEngine {
  readonly typeName = 'T5EncoderModel';
  readonly engine = 'tfjs';
  readonly shared: Embedding;
  readonly encoder: T5Stack;
  readonly cache: EmbeddingCache;

  constructor(
    vs: WeightScope,
    readonly config: T5Config,
    cache?: EmbeddingCacheOptions | false,
  ) {
    super(vs);
    this.shared = new Embedding(vs.pp('shared'), config.vocab_size, config.d_model);
    this.encoder = new T5Stack(vs.pp('encoder'), config, this.shared);
    this.cache = new EmbeddingCache(cache === false ? { maxEntries: 0 } : cache);
  }

  /**
   * Loads `config.json` and `model[.variant].safetensors` (or its shards), or a lone file (`file`,
   * ComfyUI's t5xxl_*.safetensors: config off the shapes), from a folder (Node), a base URL or a
   * FileSource. Weights are computed in float32 whatever their stored dtype.
   */
  static fromPretrained(source: ModelSource, options: T5EncoderModelOptions = {}): Promise<T5EncoderModel> {
    return loadT5Pretrained(source, options, (vs, config) => new T5EncoderModel(vs, config, options.cache));
  }

  get backend(): string {
    return `tfjs (${tf.getBackend()})`;
  }

  /** Runs the model. Checks the inputs first; every intermediate is freed; the caller owns the outputs. */
  forward({ inputIds, attentionMask, outputHiddenStates = false }: T5EncoderInputs): T5EncoderOutputs {
    const inputs = prepareT5Inputs(this.config, inputIds, attentionMask);
    const { batch: B, seqLen: S } = inputs;
    const maskValues = extendedAttentionMask(inputs);
    return tf.tidy(() => {
      const ids = tf.tensor2d(inputs.ids, [B, S], 'int32');
      const mask = maskValues ? tf.tensor4d(maskValues, [B, 1, 1, S], 'float32') : null;
      const hiddenStates: tf.Tensor3D[] | undefined = outputHiddenStates ? [] : undefined;
      const lastHiddenState = this.encoder.forward(ids, mask, hiddenStates);
      return { lastHiddenState, ...(hiddenStates ? { hiddenStates } : {}) };
    });
  }

  async encode({ inputIds, attentionMask, outputHiddenStates = false }: T5EncodeInputs): Promise<T5EncodeOutputs> {
    const inputs = checkInputs(this.config, inputIds, attentionMask);
    const run = async (rows: number[]): Promise<T5EncodeOutputs> => {
      const part = selectRows(inputs, rows);
      const dims = [part.batch, part.seqLen];
      const out = this.forward({ inputIds: { data: part.ids, dims }, attentionMask: part.hasMask ? { data: part.mask, dims } : undefined, outputHiddenStates });
      try {
        const result: T5EncodeOutputs = { lastHiddenState: await plain(out.lastHiddenState) };
        if (out.hiddenStates) result.hiddenStates = await Promise.all(out.hiddenStates.map(plain));
        return result;
      } finally {
        tf.dispose([out.lastHiddenState, ...(out.hiddenStates ?? [])]);
      }
    };
    return this.cache.encode(inputs.rowKeys, { hiddenStates: outputHiddenStates }, run);
  }

  override children(): Module[] {
    return [this.shared, this.encoder];
  }

  /** Frees the weights (and the cache). */
  override async dispose(): Promise<void> {
    this.cache.clear();
    super.dispose();
  }
}
